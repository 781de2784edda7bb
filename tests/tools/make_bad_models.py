"""Writes broken variants of a valid TorchScript archive, one per kind of bad
input the loader must reject with a clear error:

  truncated.pt      the first half of the file
  random.pt         random bytes
  empty.pt          nothing
  no_data_pkl.pt    a zip without data.pkl
  os_system.pt      data.pkl calls os.system (must never run)
  short_storage.pt  a storage shorter than its tensor's extent
  syntax_error.pt   TorchScript code that does not parse
  unsupported.pt    code calling two ops wick does not know
  gated_unknown.pt  an op wick does not know, only in the branch taken when
                    the Optional input `scale` is given: left out, the
                    model runs (relu(x)); given, it is an error
  tensor_list.pt    a List[Tensor] attribute holding a tensor that is no
                    parameter or buffer of the module
  script_class.pt   a list of objects of a TorchScript class
  unknown_packed.pt an op wick does not know feeding pack_padded_sequence,
                    whose library code then unpacks a None
  runtime_keys.pt   a dict read by a key the data decides
  expanded_write.pt an in-place op on an expanded tensor, whose elements
                    share memory
  int_write_float.pt  an in-place op whose float result cannot go back
                    into the int64 tensor it writes


Usage: make_bad_models.py --base MODEL.pt --out DIR
"""
import argparse
import io
import os
import random
import zipfile
from typing import Dict, List, Optional

import torch


def rewrite(base, out, change):
    """Copies the zip `base` to `out`, passing each entry through change(name, data)."""
    with zipfile.ZipFile(base) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = change(info.filename, src.read(info.filename))
            if data is not None:
                dst.writestr(info, data)


class Gated(torch.nn.Module):
    def forward(self, x: torch.Tensor, scale: Optional[torch.Tensor] = None) -> torch.Tensor:
        if scale is None:
            return torch.relu(x)
        return torch.sigmoid(x) * scale


class TensorList(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.extra: List[torch.Tensor] = [torch.ones(3)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.extra[0]


@torch.jit.script
class Pair:
    def __init__(self, a: torch.Tensor, b: torch.Tensor):
        self.a = a
        self.b = b


class UsesClass(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pairs = [Pair(x, x), Pair(x, -x)]
        return pairs[1].a + pairs[1].b


class PackedGru(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = torch.nn.GRU(3, 4)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        packed = torch.nn.utils.rnn.pack_padded_sequence(torch.sigmoid(x), lengths)
        return self.gru(packed)[1]


class RuntimeKeys(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        d: Dict[int, torch.Tensor] = {0: x, 1: -x}
        return d[int(x.sum() > 0)]


class ExpandedWrite(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rows = x[:1].expand(3, -1)
        rows.add_(1.0)
        return x


class IntWriteFloat(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        counts = x.long()
        counts.mul_(0.5)
        return counts


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base", required=True)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    blob = open(a.base, "rb").read()
    out = lambda name: os.path.join(a.out, name)

    open(out("truncated.pt"), "wb").write(blob[: len(blob) // 2])
    rng = random.Random(7)
    open(out("random.pt"), "wb").write(bytes(rng.randrange(256) for _ in range(4096)))
    open(out("empty.pt"), "wb").close()
    rewrite(a.base, out("no_data_pkl.pt"), lambda n, d: None if n.endswith("/data.pkl") else d)
    evil = b"\x80\x02cos\nsystem\nq\x00X\x02\x00\x00\x00lsq\x01\x85q\x02Rq\x03."
    rewrite(a.base, out("os_system.pt"), lambda n, d: evil if n.endswith("/data.pkl") else d)
    rewrite(a.base, out("short_storage.pt"), lambda n, d: d[:8] if n.endswith("/data/0") else d)

    def break_syntax(n, d):
        if n.endswith(".py") and b"def forward" in d:
            return d.replace(b"def forward", b"def forward((", 1)
        return d

    rewrite(a.base, out("syntax_error.pt"), break_syntax)

    def unknown_ops(n, d):
        if n.endswith(".py"):
            return d.replace(b"torch.sigmoid(", b"torch.frobnicate(").replace(b"torch.linear(", b"torch.wobble(")
        return d

    rewrite(a.base, out("unsupported.pt"), unknown_ops)

    gated = out("gated.tmp.pt")
    torch.jit.save(torch.jit.script(Gated()), gated)
    rewrite(gated, out("gated_unknown.pt"), unknown_ops)
    os.remove(gated)
    torch.jit.save(torch.jit.script(TensorList()), out("tensor_list.pt"))
    torch.jit.save(torch.jit.script(UsesClass()), out("script_class.pt"))
    packed = out("packed.tmp.pt")
    torch.jit.save(torch.jit.script(PackedGru()), packed)
    rewrite(packed, out("unknown_packed.pt"), unknown_ops)
    os.remove(packed)
    torch.jit.save(torch.jit.script(RuntimeKeys()), out("runtime_keys.pt"))
    torch.jit.save(torch.jit.script(ExpandedWrite()), out("expanded_write.pt"))
    torch.jit.save(torch.jit.script(IntWriteFloat()), out("int_write_float.pt"))


if __name__ == "__main__":
    main()
