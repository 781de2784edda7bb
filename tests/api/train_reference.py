"""LibTorch's side of the training tests (tests/api/test_trainer.cpp).

    train_reference.py train --model M.pt --out DIR --input-shape 14 --batch 200
        --batches 5 --epochs 3 --loss mse --optimizer sgd [--lr ..] [--momentum ..]
        [--dampening ..] [--nesterov] [--weight-decay ..] [--betas B1 B2] [--eps ..]
        [--target indices|probabilities] [--seed S]
    train_reference.py predict --model M.pt --input X.npy --out Y.npy
    train_reference.py model --kind dropout_mlp|frozen_mlp|tied_mlp|tied_frozen_mlp|overlapping_mlp|attention_classifier|encoder_stack_classifier|recurrent_classifier|packed_recurrent_classifier|cumulative_norm_mlp|instance_norm_classifier|no_grad_mlp|bfloat16_mlp|float64_net|linalg_net|spectral_net|gamma_trained_shape|gamma_buffer_shape|max_norm_embedding|quantized_middle_classifier|quantized_attribute_mlp --out M.pt
    train_reference.py frozen --model M.pt --out NAMES.txt

`train` draws the batches (x_K.npy, y_K.npy for K < batches) and an eval
batch (eval_x.npy), loads the model with torch.jit.load, trains it with
torch.optim on the batches in order for the epochs given, and writes each
step's loss (losses.npy, float64, in step order), the eval-mode predictions
on the eval batch (eval_pred.npy) and every buffer after training
(buffer_<name>.npy). `predict` runs a saved model in eval mode. `model`
writes the small scripted models the tests train that the zoo lacks.
`frozen` lists the parameters a model loads with requires_grad=False.
"""

import argparse
import os

import numpy as np
import torch
import torch.nn.functional as F


def loss_fn(name):
    return {
        "mse": F.mse_loss,
        "l1": F.l1_loss,
        "smooth_l1": lambda a, b: F.smooth_l1_loss(a, b, beta=1.0),
        "huber": lambda a, b: F.huber_loss(a, b, delta=1.0),
        "bce_with_logits": F.binary_cross_entropy_with_logits,
        "cross_entropy": F.cross_entropy,
    }[name]


def optimizer(name, params, a):
    if name == "sgd":
        return torch.optim.SGD(params, lr=a.lr, momentum=a.momentum, dampening=a.dampening,
                               nesterov=a.nesterov, weight_decay=a.weight_decay)
    cls = torch.optim.Adam if name == "adam" else torch.optim.AdamW
    return cls(params, lr=a.lr, betas=tuple(a.betas), eps=a.eps, weight_decay=a.weight_decay)


def make_target(loss, out, kind, g):
    if loss == "cross_entropy":
        n, c = out.shape[0], out.shape[1]
        if kind == "probabilities":
            return torch.softmax(torch.randn(out.shape, generator=g), dim=1)
        return torch.randint(0, c, (n,), generator=g)
    if loss == "bce_with_logits":
        return (torch.rand(out.shape, generator=g) > 0.5).float()
    return torch.randn(out.shape, generator=g)


def train(a):
    g = torch.Generator().manual_seed(a.seed)
    model = torch.jit.load(a.model)
    shape = [a.batch] + [int(s) for s in a.input_shape.split(",")]
    xs = [torch.randn(shape, generator=g) for _ in range(a.batches)]
    model.eval()
    with torch.no_grad():
        out = model(xs[0])
    ys = [make_target(a.loss, out, a.target, g) for _ in range(a.batches)]
    eval_x = torch.randn(shape, generator=g)
    for k in range(a.batches):
        np.save(os.path.join(a.out, f"x_{k}.npy"), xs[k].numpy())
        np.save(os.path.join(a.out, f"y_{k}.npy"), ys[k].numpy())
    np.save(os.path.join(a.out, "eval_x.npy"), eval_x.numpy())

    model.train()
    opt = optimizer(a.optimizer, model.parameters(), a)
    f = loss_fn(a.loss)
    losses = []
    for _ in range(a.epochs):
        for k in range(a.batches):
            opt.zero_grad()
            loss = f(model(xs[k]), ys[k])
            loss.backward()
            opt.step()
            losses.append(loss.item())
            if len(losses) == a.save_at:
                # The model and optimizer state to resume from.
                model.save(os.path.join(a.out, "model_at.pt"))
                torch.save(opt.state_dict(), os.path.join(a.out, "opt_at.pt"))
    np.save(os.path.join(a.out, "losses.npy"), np.array(losses, dtype=np.float64))
    model.eval()
    with torch.no_grad():
        np.save(os.path.join(a.out, "eval_pred.npy"), model(eval_x).numpy())
    for name, b in model.named_buffers():
        np.save(os.path.join(a.out, f"buffer_{name}.npy"), b.numpy())


def resume(a):
    """Goes on training a.model with the optimizer state in a.state, from
    step a.from_step to the end of a.epochs epochs of the batches train
    wrote (x_k.npy, y_k.npy in the working folder)."""
    model = torch.jit.load(a.model)
    model.train()
    opt = optimizer(a.optimizer, model.parameters(), a)
    opt.load_state_dict(torch.load(a.state))
    f = loss_fn(a.loss)
    losses = []
    for step in range(a.from_step, a.epochs * a.batches):
        k = step % a.batches
        x = torch.from_numpy(np.load(f"x_{k}.npy"))
        y = torch.from_numpy(np.load(f"y_{k}.npy"))
        opt.zero_grad()
        loss = f(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    np.save("losses_resumed.npy", np.array(losses, dtype=np.float64))
    model.eval()
    with torch.no_grad():
        np.save("eval_pred_resumed.npy", model(torch.from_numpy(np.load("eval_x.npy"))).numpy())


def predict(a):
    model = torch.jit.load(a.model)
    model.eval()
    with torch.no_grad():
        y = model(torch.from_numpy(np.load(a.input)))
    np.save(a.out, y.numpy())


class DropoutMlp(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(16, 64)
        self.drop = torch.nn.Dropout(0.25)
        self.fc2 = torch.nn.Linear(64, 64)
        self.drop2 = torch.nn.Dropout(0.5)
        self.fc3 = torch.nn.Linear(64, 1)

    def forward(self, x):
        x = self.drop(torch.relu(self.fc1(x)))
        x = self.drop2(torch.relu(self.fc2(x)))
        return self.fc3(x)


class FrozenMlp(torch.nn.Module):
    """A fine-tuning setup: the first layer is frozen."""

    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(16, 32)
        self.fc2 = torch.nn.Linear(32, 32)
        self.fc3 = torch.nn.Linear(32, 4)
        self.fc1.requires_grad_(False)

    def forward(self, x):
        return self.fc3(torch.tanh(self.fc2(torch.relu(self.fc1(x)))))


class TiedMlp(torch.nn.Module):
    """Two layers over one weight (tied), trained or frozen."""

    def __init__(self, frozen=False):
        super().__init__()
        self.fc1 = torch.nn.Linear(16, 16)
        self.fc2 = torch.nn.Linear(16, 16)
        self.fc2.weight = self.fc1.weight
        self.fc1.weight.requires_grad_(not frozen)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


class AttentionClassifier(torch.nn.Module):
    """Rows of 6 tokens of 8 features through a transformer encoder layer
    (training mode: the slow path of its attention), pooled, classified."""

    def __init__(self):
        super().__init__()
        self.enc = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
        self.head = torch.nn.Linear(8, 3)

    def forward(self, x):
        h = self.enc(x.view(x.size(0), 6, 8))
        return self.head(h.mean(1))


class EncoderStackClassifier(torch.nn.Module):
    """The same rows through nn.TransformerEncoder (two layers and a final
    norm), whose Python holds a nested-tensor path behind the padding mask
    that folds away."""

    def __init__(self):
        super().__init__()
        layer = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
        self.enc = torch.nn.TransformerEncoder(layer, 2, norm=torch.nn.LayerNorm(8))
        self.head = torch.nn.Linear(8, 3)

    def forward(self, x):
        h = self.enc(x.view(x.size(0), 6, 8))
        return self.head(h.mean(1))


class RecurrentClassifier(torch.nn.Module):
    """Rows of 6 steps of 8 features through nn.LSTM and a bidirectional
    nn.GRU, classified from the last step."""

    def __init__(self):
        super().__init__()
        self.lstm = torch.nn.LSTM(8, 12, batch_first=True)
        self.gru = torch.nn.GRU(12, 6, batch_first=True, bidirectional=True)
        self.head = torch.nn.Linear(12, 3)

    def forward(self, x):
        y, _ = self.lstm(x.view(x.size(0), 6, 8))
        z, _ = self.gru(y)
        return self.head(z[:, -1])


class PackedRecurrentClassifier(RecurrentClassifier):
    """The same layers on rows of lengths 6, 5 and 4 in turn: packed through
    nn.LSTM, padded back, packed again through the bidirectional nn.GRU, and
    classified from the GRU's last states."""

    def forward(self, x):
        lengths = 6 - torch.arange(x.size(0)) % 3
        pack = torch.nn.utils.rnn.pack_padded_sequence
        y, _ = self.lstm(pack(x.view(x.size(0), 6, 8), lengths, batch_first=True, enforce_sorted=False))
        z, _ = torch.nn.utils.rnn.pad_packed_sequence(y, batch_first=True, total_length=6)
        _, h = self.gru(pack(z, lengths, batch_first=True, enforce_sorted=False))
        return self.head(torch.cat([h[0], h[1]], 1))


class InstanceNormClassifier(torch.nn.Module):
    """Rows of 6 channels of 8 steps through a convolution and an instance
    norm that tracks running statistics (updated from each instance while
    training, used in eval mode). The convolution has no bias, which the
    norm would cancel (leaving it a gradient of rounding noise that Adam
    scales up)."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv1d(6, 4, 3, padding=1, bias=False)
        self.norm = torch.nn.InstanceNorm1d(4, affine=True, track_running_stats=True, momentum=0.2)
        self.head = torch.nn.Linear(32, 3)

    def forward(self, x):
        y = torch.relu(self.norm(self.conv(x.view(x.size(0), 6, 8))))
        return self.head(y.flatten(1))


class Bfloat16Mlp(torch.nn.Module):
    """Parameters in bfloat16; f32 rows in, cast to bf16, and f32 out."""

    def __init__(self):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.ReLU(),
                                       torch.nn.Linear(32, 4)).to(torch.bfloat16)

    def forward(self, x):
        return self.net(x.to(torch.bfloat16)).float()


class Float64Net(torch.nn.Module):
    """Parameters in float64: a convolution and linear layers, which wick
    computes with generated kernels (no library call takes f64); f32 rows
    in, cast to f64, and f32 out."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv1d(2, 4, 3, padding=1).double()
        self.head = torch.nn.Sequential(torch.nn.Linear(32, 16), torch.nn.Tanh(), torch.nn.Linear(16, 4)).double()

    def forward(self, x):
        h = torch.relu(self.conv(x.double().view(x.size(0), 2, 8)))
        return self.head(h.flatten(1)).float()


class SpectralNet(torch.nn.Module):
    """Complex parameters trained through Fourier transforms: the features'
    half spectrum scaled by a complex filter and transformed back, and the
    magnitudes of a short-time transform with a window that trains too
    (from a Hann window), averaged over its frames."""

    def __init__(self):
        super().__init__()
        self.filter = torch.nn.Parameter(torch.randn(9, dtype=torch.cfloat) * 0.5)
        self.mix = torch.nn.Parameter(torch.randn(5, 5, dtype=torch.cfloat) * 0.3)
        self.window = torch.nn.Parameter(torch.hann_window(8))
        self.head = torch.nn.Linear(16 + 5, 4)

    def forward(self, x):
        filtered = torch.fft.irfft(torch.fft.rfft(x) * self.filter, n=16)
        s = torch.stft(x, 8, hop_length=2, window=self.window, return_complex=True)
        mixed = torch.einsum("fg,bgt->bft", self.mix, s)
        energy = mixed.abs().mean(-1)
        return self.head(torch.cat([filtered, energy], -1))


class LinalgNet(torch.nn.Module):
    """Parameters trained through linear algebra: a whitening by the
    Cholesky factor of M M^T + I, a solve with I + tanh(W) / 10 (diagonally
    dominant, so never singular), log-determinants and a determinant of
    both, the largest eigenvalue of K and nuclear norm of M, and log|det M|
    from the U of M's pivoted LU, added to every output; the solve with A is
    taken twice, once through A's LU factors."""

    def __init__(self):
        super().__init__()
        self.m = torch.nn.Parameter(torch.randn(16, 16) * 0.3)
        self.w = torch.nn.Parameter(torch.randn(16, 16))
        self.head = torch.nn.Linear(16, 4)

    def forward(self, x):
        eye = torch.eye(16)
        k = self.m @ self.m.t() + eye
        z = torch.linalg.solve_triangular(torch.linalg.cholesky(k), x.t(), upper=False)
        a = eye + 0.1 * torch.tanh(self.w)
        lu, pivots = torch.linalg.lu_factor(a)
        y = torch.linalg.solve(a, z).t() + 0.1 * torch.linalg.lu_solve(lu, pivots, z).t()
        spectral = torch.linalg.eigvalsh(k)[-1] + torch.linalg.matrix_norm(self.m, "nuc")
        u = torch.linalg.lu(self.m)[2]
        spectral = spectral + u.diagonal().abs().log().sum()
        return self.head(y) + 0.05 * torch.logdet(k) + 0.1 * torch.linalg.slogdet(a)[1] + 0.1 * torch.det(a) + 0.01 * spectral


class MaxNormEmbeddingNet(torch.nn.Module):
    """nn.Embedding with max_norm, traced: each step renormalizes the rows
    it looks up in the weight itself (through a detached alias), and the
    optimizer steps from there. Indices come from the float input."""

    def __init__(self):
        super().__init__()
        self.emb = torch.nn.Embedding(40, 8, max_norm=1.2)
        with torch.no_grad():
            self.emb.weight.mul_(2.0)  # most rows longer than max_norm
        self.fc = torch.nn.Linear(8, 4)

    def forward(self, x):
        ids = (x.abs() * 10).long().clamp(0, 39)
        return self.fc(self.emb(ids).mean(1))


class GammaShapeNet(torch.nn.Module):
    """The regularized lower incomplete gamma function of a linear layer's
    softplus, its shape `a` a parameter (whose derivative torch does not
    implement, so training refuses it) or a buffer (then the layer trains)."""

    def __init__(self, trained_shape: bool):
        super().__init__()
        self.fc = torch.nn.Linear(16, 16)
        shape = torch.linspace(0.5, 3.0, 16)
        if trained_shape:
            self.shape = torch.nn.Parameter(shape)
        else:
            self.register_buffer("shape", shape)

    def forward(self, x):
        return torch.special.gammainc(self.shape.abs() + 0.25, torch.nn.functional.softplus(self.fc(x)))


class NoGradMlp(torch.nn.Module):
    """A forward with a `with torch.no_grad()` block: a scale computed there
    passes no gradient back, and a clone clamped in place there keeps the
    gradient path of the tensor it was cloned from."""

    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(48, 24)
        self.fc2 = torch.nn.Linear(24, 24)
        self.head = torch.nn.Linear(24, 3)

    def forward(self, x):
        h = torch.tanh(self.fc1(x))
        g = self.fc2(h).clone()
        with torch.no_grad():
            scale = 1.0 / (h.abs().mean() + 1.0)
            g.clamp_(min=-0.25)
        return self.head(torch.relu(g) * scale)


class CumulativeNormMlp(torch.nn.Module):
    """Batch norms with momentum=None: their running statistics are the
    cumulative average over the batches seen (1 / num_batches_tracked).
    The linear layers have no bias, which the norms would cancel (leaving
    it a gradient of rounding noise that Adam scales up)."""

    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(48, 24, bias=False)
        self.bn1 = torch.nn.BatchNorm1d(24, momentum=None)
        self.fc2 = torch.nn.Linear(24, 3, bias=False)
        self.bn2 = torch.nn.BatchNorm1d(3, momentum=None, affine=False)

    def forward(self, x):
        return self.bn2(self.fc2(torch.relu(self.bn1(self.fc1(x)))))


class OverlappingMlp(torch.nn.Module):
    """fc2's weight is a Parameter over the first rows of fc1's: their bytes
    overlap but they are two tensors."""

    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(16, 16)
        self.fc2 = torch.nn.Linear(16, 8)
        self.fc2.weight = torch.nn.Parameter(self.fc1.weight.data[:8])

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


class QuantizedMiddle(torch.nn.Module):
    """fc1, then fc2 quantized by quantize_dynamic, then a float head.
    LibTorch's quantized linear passes no gradient back, so only the head
    trains."""

    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(48, 24)
        self.fc2 = torch.nn.Linear(24, 24)
        self.head = torch.nn.Linear(24, 3)

    def forward(self, x):
        return self.head(torch.relu(self.fc2(torch.tanh(self.fc1(x)))))


class QuantizedAttributeMlp(torch.nn.Module):
    """A layer beside a quantized tensor its forward does not use (a codebook
    kept with the model): training must write it back as it was."""

    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(16, 1)
        self.codebook = torch.quantize_per_tensor(torch.randn(8), 0.05, 3, torch.qint8)

    def forward(self, x):
        return self.fc(x)


def quantized_middle():
    import torch.ao.quantization as q
    return q.quantize_dynamic(QuantizedMiddle().eval(), {"fc2": q.default_dynamic_qconfig}, dtype=torch.qint8)


def model(a):
    torch.manual_seed(0)
    m = {
        "dropout_mlp": DropoutMlp,
        "frozen_mlp": FrozenMlp,
        "tied_mlp": TiedMlp,
        "tied_frozen_mlp": lambda: TiedMlp(frozen=True),
        "overlapping_mlp": OverlappingMlp,
        "attention_classifier": AttentionClassifier,
        "encoder_stack_classifier": EncoderStackClassifier,
        "recurrent_classifier": RecurrentClassifier,
        "packed_recurrent_classifier": PackedRecurrentClassifier,
        "cumulative_norm_mlp": CumulativeNormMlp,
        "no_grad_mlp": NoGradMlp,
        "bfloat16_mlp": Bfloat16Mlp,
        "float64_net": Float64Net,
        "linalg_net": LinalgNet,
        "spectral_net": SpectralNet,
        "gamma_trained_shape": lambda: GammaShapeNet(trained_shape=True),
        "gamma_buffer_shape": lambda: GammaShapeNet(trained_shape=False),
        "instance_norm_classifier": InstanceNormClassifier,
        "max_norm_embedding": MaxNormEmbeddingNet,
        "quantized_middle_classifier": quantized_middle,
        "quantized_attribute_mlp": QuantizedAttributeMlp,
    }[a.kind]()
    if a.kind == "max_norm_embedding":  # a script drops the renorm; a trace keeps it
        torch.jit.save(torch.jit.trace(m, torch.randn(2, 6)), a.out)
        return
    torch.jit.save(torch.jit.script(m), a.out)


def frozen(a):
    model = torch.jit.load(a.model)
    names = sorted(n for n, p in model.named_parameters() if not p.requires_grad)
    with open(a.out, "w") as f:
        f.write(" ".join(names) + "\n")


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train")
    t.add_argument("--model", required=True)
    t.add_argument("--out", required=True)
    t.add_argument("--input-shape", required=True)
    t.add_argument("--batch", type=int, required=True)
    t.add_argument("--target", default="indices")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--save-at", type=int, default=-1, help="step after which to save model_at.pt and opt_at.pt")
    s = sub.add_parser("resume")
    s.add_argument("--model", required=True)
    s.add_argument("--state", required=True)
    s.add_argument("--from-step", type=int, required=True)
    for q in (t, s):
        q.add_argument("--batches", type=int, default=5)
        q.add_argument("--epochs", type=int, default=3)
        q.add_argument("--loss", required=True)
        q.add_argument("--optimizer", required=True)
        q.add_argument("--lr", type=float, default=0.01)
        q.add_argument("--momentum", type=float, default=0.0)
        q.add_argument("--dampening", type=float, default=0.0)
        q.add_argument("--nesterov", action="store_true")
        q.add_argument("--weight-decay", type=float, default=0.0)
        q.add_argument("--betas", type=float, nargs=2, default=[0.9, 0.999])
        q.add_argument("--eps", type=float, default=1e-8)
    r = sub.add_parser("predict")
    r.add_argument("--model", required=True)
    r.add_argument("--input", required=True)
    r.add_argument("--out", required=True)
    m = sub.add_parser("model")
    m.add_argument("--kind", required=True)
    m.add_argument("--out", required=True)
    f = sub.add_parser("frozen")
    f.add_argument("--model", required=True)
    f.add_argument("--out", required=True)
    a = p.parse_args()
    torch.set_num_threads(1)
    {"train": train, "resume": resume, "predict": predict, "model": model, "frozen": frozen}[a.cmd](a)


if __name__ == "__main__":
    main()
