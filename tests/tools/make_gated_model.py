"""Writes gated.pt: a scripted MLP whose hidden layer depends on the batch,
through an `if` on a tensor condition that TorchScript keeps as control flow.
A batch whose mean is positive goes through one branch and its parameters,
any other batch through the other; training must follow whichever ran.

Usage: make_gated_model.py OUT.pt FEATURES
"""
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


def main():
    out, features = sys.argv[1], int(sys.argv[2])
    torch.manual_seed(5)
    torch.jit.script(Gated(features)).save(out)


if __name__ == "__main__":
    main()
