"""Writes scripted models whose control flow TorchScript keeps, for the
`wick train` tests:

  gated.pt      an MLP whose hidden layer depends on the batch, through an
                `if` on a tensor condition: a batch whose mean is positive
                goes through one branch and its parameters, any other batch
                through the other; training must follow whichever ran.
  recurrent.pt  a cell applied 100 times in a `for` loop (more trips than
                canonicalization unrolls; a training step unrolls it).
  halving.pt    a `while` loop whose trip count depends on the data, which
                a training step cannot unroll: training it is an error.

Usage: make_control_flow_models.py OUT_DIR FEATURES
"""
import os
import sys

import torch
from torch import Tensor, nn


class Gated(nn.Module):
    def __init__(self, features: int):
        super().__init__()
        self.up = nn.Linear(features, 16)
        self.down = nn.Linear(features, 16)
        self.out = nn.Linear(16, 1)

    def forward(self, x: Tensor) -> Tensor:
        if x.mean() > 0:
            h = torch.relu(self.up(x))
        else:
            h = torch.tanh(self.down(x)) * 2.0
        return self.out(h)


class Recurrent(nn.Module):
    def __init__(self, features: int):
        super().__init__()
        self.steps = 100
        self.inp = nn.Linear(features, 8)
        self.cell = nn.Linear(8, 8)
        self.out = nn.Linear(8, 1)

    def forward(self, x: Tensor) -> Tensor:
        u = self.inp(x)
        h = torch.zeros_like(u)
        for _ in range(self.steps):
            h = torch.tanh(self.cell(h) * 0.5 + u)
        return self.out(h)


class Halving(nn.Module):
    def __init__(self, features: int):
        super().__init__()
        self.inp = nn.Linear(features, 8)
        self.out = nn.Linear(8, 1)

    def forward(self, x: Tensor) -> Tensor:
        h = self.inp(x)
        while bool(h.abs().max() > 1.0):
            h = h * 0.5
        return self.out(h)


def main():
    out, features = sys.argv[1], int(sys.argv[2])
    torch.manual_seed(5)
    torch.jit.script(Gated(features)).save(os.path.join(out, "gated.pt"))
    torch.jit.script(Recurrent(features)).save(os.path.join(out, "recurrent.pt"))
    torch.jit.script(Halving(features)).save(os.path.join(out, "halving.pt"))


if __name__ == "__main__":
    main()
