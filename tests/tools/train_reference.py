"""LibTorch's side of the `wick train` tests.

  train MODEL CSV --target-cols 14 [--loss mse] [--optim sgd] [--lr ..] ...
  train MODEL X.npy --target Y.npy [--loss mse] ...
      trains MODEL with torch.optim on the CSV's rows (or the arrays'
      examples) in file order, in batches as `wick train` without --shuffle
      forms them, and prints each epoch's mean of per-batch losses, one per
      line.
  predict MODEL X.npy OUT.npy
      writes MODEL's eval-mode output for X.
  evaluate MODEL CSV --target-cols 14 [--loss mse]
  evaluate MODEL X.npy --target Y.npy [--loss mse]
      prints MODEL's eval-mode loss over the whole CSV.
"""
import argparse
import sys

import numpy as np
import torch
import torch.nn.functional as F


def load_table(path, target_cols):
    table = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64, ndmin=2).astype(np.float32)
    features = [c for c in range(table.shape[1]) if c not in target_cols]
    return torch.from_numpy(table[:, features].copy()), torch.from_numpy(table[:, target_cols].copy())


def loss_fn(name):
    return {
        "mse": F.mse_loss,
        "l1": F.l1_loss,
        "smooth_l1": F.smooth_l1_loss,
        "huber": F.huber_loss,
        "bce_with_logits": F.binary_cross_entropy_with_logits,
        # One column of class indices, or one column of probabilities per class.
        # (or, from .npy, a vector of integer class indices).
        "cross_entropy": lambda out, y: F.cross_entropy(
            out, y.long() if y.dim() == 1 else y.reshape(-1).long() if y.shape[1] == 1 else y),
    }[name]


def batch_loss(name, model, x, y):
    """The loss of one batch; `output`: the model's own, forward(x, y)."""
    if name == "output":
        return model(x, y)
    return loss_fn(name)(model(x), y)


def make_optimizer(args, params):
    if args.optim == "sgd":
        return torch.optim.SGD(params, lr=args.lr, momentum=args.momentum, weight_decay=args.weight_decay)
    if args.optim == "adam":
        return torch.optim.Adam(params, lr=args.lr, weight_decay=args.weight_decay)
    return torch.optim.AdamW(params, lr=args.lr, weight_decay=args.weight_decay)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["train", "predict", "evaluate"])
    p.add_argument("model")
    p.add_argument("data")
    p.add_argument("out", nargs="?")
    p.add_argument("--target-cols", default="")
    p.add_argument("--target", default="", help="the targets' .npy, for .npy data")
    p.add_argument("--loss", default="mse")
    p.add_argument("--optim", default="sgd")
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--momentum", type=float, default=0.0)
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=200)
    args = p.parse_args()
    torch.set_num_threads(1)
    model = torch.jit.load(args.model)

    if args.mode == "predict":
        model.eval()
        with torch.no_grad():
            out = model(torch.from_numpy(np.load(args.data)))
        np.save(args.out, out.numpy())
        return

    if args.target:
        x, y = torch.from_numpy(np.load(args.data)), torch.from_numpy(np.load(args.target))
    else:
        x, y = load_table(args.data, [int(c) for c in args.target_cols.split(",")])
    if args.mode == "evaluate":
        model.eval()
        with torch.no_grad():
            print(repr(batch_loss(args.loss, model, x, y).item()))
        return

    model.train()
    opt = make_optimizer(args, model.parameters())
    for _ in range(args.epochs):
        losses = []
        for start in range(0, x.shape[0], args.batch_size):
            # A parameter the step does not reach (a branch that did not run)
            # then has no gradient, and torch.optim leaves it and its state
            # alone, as `wick train` does.
            opt.zero_grad(set_to_none=True)
            out = batch_loss(args.loss, model, x[start:start + args.batch_size], y[start:start + args.batch_size])
            out.backward()
            opt.step()
            losses.append(out.item())
        print(repr(sum(losses) / len(losses)))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
