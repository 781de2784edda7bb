# Writes the TorchScript source that torch.jit.save produces for a set of
# models, for the source front end tests: for each model M, every archive
# entry code/**/*.py goes to ./M/<path inside code/>, and ./models.txt lists
# the models written. torchvision models are left out when it is missing.
import io
import os
import zipfile
from enum import Enum
from typing import Dict, List, NamedTuple, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    """A transformer block from basic ops."""

    def __init__(self, d: int = 16, h: int = 2):
        super().__init__()
        self.q = nn.Linear(d, d)
        self.k = nn.Linear(d, d)
        self.v = nn.Linear(d, d)
        self.o = nn.Linear(d, d)
        self.ln1 = nn.LayerNorm(d)
        self.ln2 = nn.LayerNorm(d)
        self.ff1 = nn.Linear(d, 4 * d)
        self.ff2 = nn.Linear(4 * d, d)
        self.h = h

    def forward(self, x):
        B, T, D = x.shape
        y = self.ln1(x)
        q = self.q(y).view(B, T, self.h, D // self.h).transpose(1, 2)
        k = self.k(y).view(B, T, self.h, D // self.h).transpose(1, 2)
        v = self.v(y).view(B, T, self.h, D // self.h).transpose(1, 2)
        a = torch.softmax(q @ k.transpose(-2, -1) / (D // self.h) ** 0.5, dim=-1)
        z = (a @ v).transpose(1, 2).reshape(B, T, D)
        x = x + self.o(z)
        return x + self.ff2(F.gelu(self.ff1(self.ln2(x))))


class ControlFlow(nn.Module):
    opt: Optional[torch.Tensor]

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(4, 4)
        self.opt = None
        self.scale = 1e-05
        self.table = {"a": 1}

    def forward(self, x, n: int = 3, flag: bool = True) -> Tuple[torch.Tensor, List[int]]:
        if x.sum() > 0:
            x = x * 2
        elif x.sum() < -1.0:
            x = -x
        else:
            x = torch.dropout(x, 0.5, self.training)
        for i in range(n):
            x = self.lin(x) + i
        i = 0
        while i < n and flag:
            i += 1
            x = x[:, 0:4] * 1.5
        sizes = torch.jit.annotate(List[int], [])
        sizes.append(3)
        o = self.opt
        if o is not None:
            x = x + o
        if n > 10:
            raise ValueError("too big \"n\"\t\n")
        assert n >= 0, "negative"
        y = x[1:]
        d: Dict[str, torch.Tensor] = {"x": x, "y": y}
        a, b = (x, y)
        c = a if n > 1 else b
        if not flag or n == 2:
            c = c.clamp(min=-1e10, max=float("inf"))
        return c, [1, 2, n, len(d), -9223372036854775807 - 1]


@torch.jit.interface
class Unary(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pass


class Relu(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.relu()


class Color(Enum):
    RED = 1
    GREEN = 2


class Pair(NamedTuple):
    a: torch.Tensor
    b: int


@torch.jit.script
class Point:
    def __init__(self, x: int, y: int):
        self.x = x
        self.y = y

    def norm2(self) -> int:
        return self.x * self.x + self.y * self.y


class Misc(nn.Module):
    """Interfaces, module lists, classes, enums, named tuples, with, fork."""

    m: Unary

    def __init__(self):
        super().__init__()
        self.m = Relu()
        self.mods = nn.ModuleList([nn.ReLU(), nn.Tanh()])
        self.c = torch.tensor([1.0, 2.0])

    def forward(self, x: torch.Tensor, col: Color, t: Tuple[int, int, int]):
        for m in self.mods:
            x = m(x)
        x = self.m.forward(x)
        y = x + torch.tensor([3.0, 4.0]) + float("nan")
        with torch.no_grad():
            y = y * 2
        s = "h\u00e9llo"
        p = Point(2, 3)
        fut = torch.jit.fork(torch.neg, y)
        z = torch.jit.wait(fut)
        r = x[None, 1:3, ::2] if x.dim() == 3 else x
        return (y + self.c, Pair(z, p.norm2()), t[0:2], complex(1.0, 2.0), r, s, col.value,
                [i * 2 for i in range(3)], "a\x01b\\\n'\"")


def code_files(module):
    buf = io.BytesIO()
    torch.jit.save(module, buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
        for name in z.namelist():
            parts = name.split("/")
            if len(parts) > 2 and parts[1] == "code" and name.endswith(".py"):
                yield "/".join(parts[2:]), z.read(name)


def write(name, module):
    for path, data in code_files(module):
        out = os.path.join(name, path)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with open(out, "wb") as f:
            f.write(data)
    with open("models.txt", "a") as f:
        f.write(name + "\n")


torch.manual_seed(0)
write("block_scripted", torch.jit.script(Block()))
write("block_traced", torch.jit.trace(Block(), torch.randn(2, 5, 16)))
write("control_flow", torch.jit.script(ControlFlow()))
write("misc", torch.jit.script(Misc()))
write("lstm", torch.jit.script(nn.LSTM(4, 8, 2)))
write("encoder_layer", torch.jit.script(nn.TransformerEncoderLayer(16, 2, 32)))

try:
    import torchvision
except ImportError:
    torchvision = None
if torchvision is not None:
    image = torch.randn(1, 3, 64, 64)
    for name in ["resnet18", "mobilenet_v2"]:
        model = getattr(torchvision.models, name)().eval()
        write(name + "_scripted", torch.jit.script(model))
        write(name + "_traced", torch.jit.trace(model, image))
