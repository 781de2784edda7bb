"""The test model zoo: small TorchScript models that wick must load and run.

Each entry of `MODELS` says how to build a model (random weights from a fixed
seed, eval mode, batch-norm statistics randomized so no layer is an identity),
how to make example inputs for any batch size, and whether the model is saved
scripted, traced, or both. make_zoo.py writes the models and LibTorch's
outputs; random_inputs.py makes fresh inputs for a second batch size.
"""

from dataclasses import dataclass
from typing import Callable, Dict, List, NamedTuple, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

Tensor = torch.Tensor


@dataclass(frozen=True)
class ModelSpec:
    build: Callable[[], nn.Module]
    # (batch, generator) -> input tensors; float32, int64 or bool.
    inputs: Callable[[int, torch.Generator], Tuple[Tensor, ...]]
    batch: int
    seed: int
    variants: Tuple[str, ...] = ("scripted", "traced")
    note: str = ""


# ---------------------------------------------------------------- helpers


def randn(g: torch.Generator, *shape: int) -> Tensor:
    return torch.randn(*shape, generator=g)


def randomize_batch_norm(module: nn.Module) -> None:
    """Gives every batch-norm layer non-trivial statistics and affine terms."""
    for m in module.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            n = m.num_features
            with torch.no_grad():
                m.running_mean.copy_(torch.randn(n) * 0.1)
                m.running_var.copy_(torch.rand(n) + 0.5)
                if m.affine:
                    m.weight.copy_(torch.rand(n) + 0.5)
                    m.bias.copy_(torch.randn(n) * 0.1)


def build_model(name: str) -> nn.Module:
    """The model `name` with its fixed random weights, in eval mode."""
    spec = MODELS[name]
    torch.manual_seed(spec.seed)
    model = spec.build()
    randomize_batch_norm(model)
    return model.eval()


def example_inputs(name: str, batch: int, seed: int) -> Tuple[Tensor, ...]:
    g = torch.Generator().manual_seed(seed)
    return tuple(MODELS[name].inputs(batch, g))


# ---------------------------------------------------------------- MLPs


def mlp_relu() -> nn.Module:
    return nn.Sequential(
        nn.Linear(32, 64), nn.ReLU(),
        nn.Linear(64, 64), nn.ReLU(),
        nn.Linear(64, 10))


def nn5() -> nn.Module:
    """The tabular MLP. Default-initialized weights leave the output nearly
    constant through three sigmoids, so they are scaled up by 4."""
    model = nn.Sequential(
        nn.Linear(14, 20), nn.Sigmoid(),
        nn.Linear(20, 10), nn.Sigmoid(),
        nn.Linear(10, 5), nn.Sigmoid(),
        nn.Linear(5, 1))
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(4.0)
    return model


# ---------------------------------------------------------------- CNNs


class CnnBn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(16)
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(16, 32, 3)
        self.bn2 = nn.BatchNorm2d(32)
        self.pool2 = nn.AvgPool2d(2)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(32, 10)

    def forward(self, x: Tensor) -> Tensor:
        x = self.pool1(F.relu(self.bn1(self.conv1(x))))
        x = self.pool2(F.relu(self.bn2(self.conv2(x))))
        x = torch.flatten(self.gap(x), 1)
        return self.fc(x)


def resnet18() -> nn.Module:
    import torchvision
    return torchvision.models.resnet18(weights=None, num_classes=1000)


def mobilenet_v2() -> nn.Module:
    import torchvision
    return torchvision.models.mobilenet_v2(weights=None)


# ---------------------------------------------------------------- transformer


class TransformerBlock(nn.Module):
    """Pre-norm block from basic ops; dims come from x.size() at run time."""

    def __init__(self, d_model: int = 256, n_heads: int = 4):
        super().__init__()
        self.n_heads = n_heads
        self.ln1 = nn.LayerNorm(d_model)
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)
        self.ln2 = nn.LayerNorm(d_model)
        self.fc1 = nn.Linear(d_model, 4 * d_model)
        self.fc2 = nn.Linear(4 * d_model, d_model)

    def attn(self, x: Tensor) -> Tensor:
        B = x.size(0)
        T = x.size(1)
        d = x.size(2)
        H = self.n_heads
        Dh = d // H
        q, k, v = self.qkv(x).split(d, dim=-1)
        q = q.view(B, T, H, Dh).transpose(1, 2)
        k = k.view(B, T, H, Dh).transpose(1, 2)
        v = v.view(B, T, H, Dh).transpose(1, 2)
        scale = Dh ** -0.5
        a = torch.softmax(q @ k.transpose(-2, -1) * scale, dim=-1)
        y = (a @ v).transpose(1, 2).contiguous().view(B, T, d)
        return self.proj(y)

    def mlp(self, x: Tensor) -> Tensor:
        return self.fc2(F.gelu(self.fc1(x)))

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class AttentionLayers(nn.Module):
    """nn.MultiheadAttention and two nn.TransformerEncoderLayers (post-norm
    with relu, pre-norm with gelu) as PyTorch builds them. In eval mode
    without grad their forward takes the fused fast path
    (_native_multi_head_attention, _transformer_encoder_layer_fwd), the
    first layer given a float key padding mask."""

    def __init__(self, d_model: int = 32, n_heads: int = 4):
        super().__init__()
        self.attn = nn.MultiheadAttention(d_model, n_heads, batch_first=True)
        self.enc = nn.TransformerEncoderLayer(d_model, n_heads, 64, batch_first=True)
        self.enc_pre = nn.TransformerEncoderLayer(d_model, n_heads, 64, activation="gelu",
                                                  norm_first=True, batch_first=True)

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        a, weights = self.attn(x, x, x)
        assert weights is not None
        # A float key padding mask (-inf hides a key), which the fast path
        # reads as booleans: later positions where x's first feature is large.
        hide = (x[:, :, 0] > 0.8) & (torch.arange(x.size(1)) > 0)
        pad = torch.zeros(x.size(0), x.size(1)).masked_fill(hide, float("-inf"))
        return self.enc_pre(self.enc(a, src_key_padding_mask=pad)), weights


class AttentionMasks(nn.Module):
    """The attention that does not take the fast path: cross-attention,
    boolean and float attention masks merged with key padding masks, and
    encoder and decoder layers given masks as arguments of forward, a
    causal mask built with triu, and positions from arange. It runs F.multi_head_attention_forward
    (masked_fill, logical_or, baddbmm)."""

    def __init__(self, d_model: int = 32, n_heads: int = 4):
        super().__init__()
        self.cross = nn.MultiheadAttention(d_model, n_heads, batch_first=True)
        self.masked = nn.MultiheadAttention(d_model, n_heads, batch_first=True)
        self.enc = nn.TransformerEncoderLayer(d_model, n_heads, 64, batch_first=True)
        self.dec = nn.TransformerDecoderLayer(d_model, n_heads, 64, batch_first=True)
        self.pos = nn.Embedding(16, d_model)

    def forward(self, x: Tensor, memory: Tensor, mask: Tensor, pad: Tensor) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
        x = x + self.pos(torch.arange(x.size(1)))
        c, c_weights = self.cross(x, memory, memory)
        blocked = mask < -1.0
        m, m_weights = self.masked(x, x, x, attn_mask=blocked, key_padding_mask=pad, average_attn_weights=False)
        assert c_weights is not None and m_weights is not None
        e = self.enc(c + m, src_mask=mask, src_key_padding_mask=pad)
        # A causal mask as nn.Transformer.generate_square_subsequent_mask builds it.
        n = x.size(1)
        causal = torch.triu(torch.full((n, n), float("-inf")), diagonal=1)
        y = self.dec(e, memory, tgt_mask=causal + torch.tril(mask, -1), tgt_key_padding_mask=pad)
        return y, c_weights, m_weights, e


def attention_masks_inputs(b: int, g: torch.Generator) -> Tuple[Tensor, ...]:
    """x [b, 6, 32], memory [b, 9, 32], a float mask [6, 6] (added to the
    scores, and below -1 a blocked position), a padding mask [b, 6]. The
    diagonal and the first key stay open, so that no row is fully masked."""
    x, memory, mask = randn(g, b, 6, 32), randn(g, b, 9, 32), randn(g, 6, 6)
    mask.fill_diagonal_(0.0)
    pad = torch.rand(b, 6, generator=g) > 0.6
    pad[:, 0] = False
    mask[:, 0] = 0.0
    return x, memory, mask, pad


def transformer() -> nn.Module:
    """nn.Transformer saved as it is, so the masks of its forward are
    Optional arguments: src_mask is given, the rest are left out and read as
    None. The encoder stack's nested-tensor fast path, which wick does not
    have, sits behind `src_key_padding_mask is not None` and folds away."""
    return nn.Transformer(d_model=32, nhead=4, num_encoder_layers=2, num_decoder_layers=2,
                          dim_feedforward=64, batch_first=True)


def transformer_inputs(b: int, g: torch.Generator) -> Tuple[Tensor, ...]:
    """src [b, 7, 32], tgt [b, 5, 32], an additive float src_mask [7, 7]."""
    return randn(g, b, 7, 32), randn(g, b, 5, 32), randn(g, 7, 7)


def multihead_attention() -> nn.Module:
    """nn.MultiheadAttention saved as it is: need_weights and
    average_attn_weights are bool arguments with defaults, which a model's
    tensor inputs cannot give, so they take their defaults."""
    return nn.MultiheadAttention(32, 4, batch_first=True)


class Recurrent(nn.Module):
    """nn.LSTM (two layers, batch first, given its initial state), a
    bidirectional nn.GRU, and sequence-first nn.RNNs (relu without biases,
    then tanh): every output and final state."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(8, 16, num_layers=2, batch_first=True)
        self.gru = nn.GRU(16, 12, batch_first=True, bidirectional=True)
        self.rnn_relu = nn.RNN(24, 10, nonlinearity="relu", bias=False)
        self.rnn_tanh = nn.RNN(10, 6)
        self.head = nn.Linear(6, 3)

    def forward(self, x: Tensor, h0: Tensor) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
        y, (h, c) = self.lstm(x, (h0, torch.zeros_like(h0)))
        z, hg = self.gru(y)
        r, _ = self.rnn_relu(z.transpose(0, 1))
        t, ht = self.rnn_tanh(r)
        return self.head(t[-1]), h, c, hg, ht


class OpsExtra(nn.Module):
    """Ops PyTorch builds from others: mish, selu, celu, logsigmoid,
    softsign, tanhshrink, PReLU, GLU; 1-D max, average and adaptive pooling;
    var, std, logsumexp, norms (F.normalize); roll, flip, narrow, F.pad,
    repeat, unflatten; InstanceNorm2d, nearest and bilinear upsampling,
    PixelShuffle; reflection, replication and circular padding; transposed
    convolutions (1-D, 2-D with output_padding, groups and dilation);
    einsum of two, three and four operands, diagonals, a broadcast label; cumsum
    of floats and of integers."""

    def __init__(self):
        super().__init__()
        self.prelu = nn.PReLU(4)
        self.conv1 = nn.Conv1d(4, 6, 3, padding=1)
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.inorm = nn.InstanceNorm2d(4, affine=True)
        self.shuffle = nn.PixelShuffle(2)
        self.reflect = nn.ReflectionPad2d((2, 1, 1, 2))
        self.up2 = nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1)
        self.grouped = nn.ConvTranspose2d(6, 4, (2, 3), stride=(2, 1), groups=2, dilation=(1, 2), bias=False)
        self.up1 = nn.ConvTranspose1d(4, 3, 4, stride=3, padding=2)
        # output_padding as large as the stride, allowed because dilated.
        self.dilated = nn.ConvTranspose2d(4, 5, 3, stride=1, padding=1, output_padding=1, dilation=2)
        self.mix = nn.Parameter(torch.randn(4, 4) * 0.1)

    def forward(self, x: Tensor, s: Tensor) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor,
                                                     Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:
        a = F.mish(x) + F.selu(x) + F.celu(x, 0.7) + F.logsigmoid(x) + F.softsign(x) + F.tanhshrink(x)
        a = self.prelu(a) + F.glu(torch.cat([x, x * 2], 1), 1)
        seq = torch.cat([F.max_pool1d(s, 3, 2, 1), F.adaptive_avg_pool1d(s, 5)], 2)
        q = F.avg_pool1d(self.conv1(s), 2)
        v = (x.var(dim=(2, 3), keepdim=True) + x.std(1, unbiased=False, keepdim=True).mean(1, keepdim=True)
             + torch.logsumexp(x, 3).mean())
        n = F.normalize(x, dim=1) + x / x.norm(2, 1, keepdim=True)
        l = torch.roll(x, 1, 2) + torch.flip(x, [3]) + x.narrow(3, 0, 8) + F.pad(x, (1, 1, 0, 0))[:, :, :, 1:9]
        u = self.up(self.inorm(x))
        w = self.shuffle(x.repeat(1, 2, 1, 1))
        bilinear = (F.interpolate(x, size=(9, 5), mode="bilinear", align_corners=True)
                    + F.interpolate(x, scale_factor=1.5, mode="bilinear")[:, :, :, :5])
        padded = F.pad(s, (3, 3), mode="replicate") + F.pad(s, (2, 4), mode="circular").flip(2)
        deconv = self.grouped(torch.relu(self.up2(x)))
        gram = torch.einsum("bchw,bdhw->bcd", x, x) + torch.einsum("bci,cd,bdi->bc", s, self.mix, s).unsqueeze(2)
        gram = gram + torch.einsum("bci,cd,de,bei->bc", s, self.mix, self.mix, s).unsqueeze(2)
        # Diagonals (traces of 4 x 4 blocks, a diagonal kept) and a size-1 label broadcast.
        gram = (gram + torch.einsum("bcii->bc", x[:, :, :4, :4]).unsqueeze(2) + torch.einsum("bii,bjk->bij", x[:, 0, :4, :4], gram)
                + torch.einsum("bij,bjk->bik", x[:, :, 0, :4], self.mix.unsqueeze(0)))
        return (a + v + n + l, seq, q, u, w, torch.unflatten(s, 2, (2, 5)), self.reflect(x), bilinear, padded, deconv,
                self.up1(s), gram, torch.cumsum(s, 2), torch.cumsum((s > 0).long(), 1), self.dilated(x))


class Resampling(nn.Module):
    """F.interpolate in every mode but area: linear (1-D), bilinear, bicubic,
    trilinear, nearest in 3-D and nearest-exact in 1-D, 2-D and 3-D, and
    antialiased bilinear and bicubic; sizes and scale factors, up and down,
    either align_corners, on image: [B, 3, 5, 6], volume: [B, 2, 3, 4, 5]
    and signal: [B, 4, 7]."""

    def forward(self, image: Tensor, volume: Tensor, signal: Tensor) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor,
                                                                              Tensor, Tensor, Tensor, Tensor]:
        bicubic = (F.interpolate(image, scale_factor=2.0, mode="bicubic", align_corners=False)[:, :, 1:8, 2:11]
                   + F.interpolate(image, size=(7, 9), mode="bicubic", align_corners=True)
                   + F.interpolate(image, size=(7, 9), mode="bilinear", antialias=True)
                   + F.interpolate(image.repeat(1, 1, 3, 3), size=(7, 9), mode="bicubic", antialias=True))
        bicubic_down = (F.interpolate(image, scale_factor=0.6, mode="bicubic", align_corners=False)
                        + F.interpolate(image, scale_factor=0.6, mode="bilinear", antialias=True, align_corners=True))
        trilinear = F.interpolate(volume, size=(5, 6, 7), mode="trilinear", align_corners=True)
        trilinear_scaled = F.interpolate(volume, scale_factor=(1.5, 2.0, 0.8), mode="trilinear", align_corners=False)
        linear = (F.interpolate(signal, scale_factor=2.5, mode="linear")[:, :, :11]
                  + F.interpolate(signal, size=11, mode="linear", align_corners=True))
        nearest3d = F.interpolate(volume, scale_factor=2.0, mode="nearest")
        exact1d = F.interpolate(signal, size=12, mode="nearest-exact")
        exact2d = F.interpolate(image, scale_factor=1.7, mode="nearest-exact")
        exact3d = F.interpolate(volume, size=(2, 7, 3), mode="nearest-exact")
        return (bicubic, bicubic_down, trilinear, trilinear_scaled, linear, nearest3d, exact1d, exact2d, exact3d)


class OpsMath(nn.Module):
    """More elementwise math (logs and exponentials of other bases, tan,
    atan2, the inverse and hyperbolic functions, rounding, fmod, shrinkage, logit, NaN tests, addcmul, lerp,
    clamp with tensor bounds), reductions (argmin, prod, any, all, var_mean,
    std_mean) and rearranging (unbind, tensor_split, movedim, swapaxes, tile,
    repeat_interleave, outer, dot, mv, diff, meshgrid) on x, y: [B, 4, 6]."""

    def forward(self, x: Tensor, y: Tensor) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor,
                                                     Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:
        logs = (torch.expm1(x * 0.5) + torch.exp2(x * 0.5) + torch.log2(x.abs() + 1) + torch.log10(x.abs() + 1)
                + torch.log1p(x.abs()) + torch.tan(x.clamp(-1.0, 1.0)) + torch.atan(x) + torch.atan2(x, y))
        s = torch.tanh(x)
        logs = logs + (torch.asin(s) + torch.acos(s * 0.9) + torch.atanh(s * 0.9) + torch.sinh(x) + torch.cosh(y)
                       + torch.asinh(x * 3) + torch.acosh(x.abs() + 1.5) + torch.arcsin(s * 0.5) + torch.arctan(y))
        rounding = (torch.round(x * 3) + torch.round(x, decimals=1) + torch.trunc(x * 3) + torch.frac(x * 3)
                    + torch.sign(x) + torch.fmod(x * 5, 1.5) + torch.fmod(x, y.abs() + 0.5) + x.square())
        shrink = (F.hardshrink(x, 0.3) + F.softshrink(x, 0.3) + F.threshold(x, 0.1, 2.0)
                  + torch.logit(torch.sigmoid(x), 1e-3))
        mix = (torch.addcmul(x, x, y, value=0.5) + torch.addcdiv(x, x, y.abs() + 1, value=2) + torch.lerp(x, y, 0.3)
               + torch.lerp(x, y, torch.sigmoid(y)) + torch.clamp(x, y - 1, y + 1) + torch.full_like(x, 2.0))
        finite = torch.nan_to_num(x, 0.0, 10.0, -10.0)
        tests = torch.isnan(x).float() + 2 * torch.isinf(x).float() + 4 * torch.isfinite(x).float()
        var, mean = torch.var_mean(x, [2])
        std, mean2 = torch.std_mean(x, [0, 2], unbiased=False, keepdim=True)
        stats = var + mean + (std + mean2).squeeze(2)
        prods = torch.prod(x, 1) + torch.prod(x[:, 0, :3])
        truth = torch.any(x > 1, 2, keepdim=True).float() + torch.all(x > -2, 2, keepdim=True).float() + torch.all(x > -9).float()
        ta, tb, tc = torch.tensor_split(x, [1, 3], 2)
        sa, sb, sc, sd = torch.tensor_split(x, 4, dim=2)
        truth = truth + ta + tb[:, :, 1:] + tc[:, :, :1] + sa[:, :, :1] + sb[:, :, 1:] + sc + sd
        a, b, c, d = x.unbind(1)
        parts = a + 2 * b + 3 * c - d
        moved = torch.movedim(x, 1, 2) + x.swapaxes(1, 2) + torch.movedim(x, (0, 1), (2, 0)).permute(2, 1, 0)
        tiled = torch.cat([x.tile((2,)), x.repeat_interleave(2, dim=2)], 1)
        flat = torch.repeat_interleave(x[:, 0, :3], 2)
        products = torch.outer(x[0, 0], y[0, 0]) + torch.dot(x[0, 0], y[0, 0]) + torch.mv(x[0], y[0, 0]).sum()
        diffs = torch.diff(x, dim=2)[:, :3] + torch.diff(x, n=2, dim=1, prepend=y[:, :1])[:, :, :5]
        gx, gy = torch.meshgrid(x[0, 0], y[0, 1, :4], indexing="ij")
        hx, hy = torch.meshgrid([x[0, 0, :4], y[0, 1]], indexing="xy")
        grids = gx + gy * 2 + hx * 3 + hy * 4
        return (logs, rounding, shrink, mix, finite, tests, stats, prods, truth, torch.argmin(x, 2), parts, moved,
                tiled, flat, products[:, :4] + grids, diffs)


class OpsSort(nn.Module):
    """Sorting along a dim: sort both ways (values and indices), argsort,
    msort, topk of the largest and the smallest, a stable sort of integers
    with ties, on x: [B, 5, 7]; output 0 goes through sorted values, so its
    gradient is the sort's."""

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor,
                                          Tensor, Tensor]:
        v, i = torch.sort(x, dim=2)
        dv, di = torch.sort(x, 1, descending=True)
        a = torch.argsort(x, dim=-1, descending=True)
        m = torch.msort(x)
        tv, ti = torch.topk(x, 3, dim=2)
        sv, si = torch.topk(x.flatten(1), 4, largest=False)
        iv, ii = torch.sort((x * 2).round().long(), dim=2, stable=True)
        out = v * torch.arange(7.0) + dv[:, :1] + m + tv.sum(2, keepdim=True) + sv.sum(1).view(-1, 1, 1)
        return out, i, di, a, dv, tv, ti, sv, si, iv, ii


@torch.jit.script
def int_bits(x: Tensor, size: int) -> Tensor:
    """Bitwise ops on an int read from x at run time (scripted, so that a
    trace keeps them rather than their value)."""
    k = int((x * 100).item())
    return torch.tensor(((k & 0x5A) | (k << 3)) ^ (k >> 2) ^ (size << 1))


class OpsScansBits(nn.Module):
    """Running scans and bitwise ops on x: [B, 5, 6]: cumprod, logcumsumexp,
    cummax and cummin (their indices also over rounded values, so with
    ties), and &, |, ^, ~, <<, >> on integers made from x (i64, i8, u8), on
    bools, and on Python ints (one read from x at run time, one a size).
    Output 0 goes through every differentiable scan."""

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor,
                                          Tensor]:
        mv, mi = torch.cummax(x, 2)
        nv, ni = torch.cummin(x, 1)
        out = torch.cumprod(x, 1) + torch.logcumsumexp(x * 3, 2) + mv * 2 + nv
        tv, ti = torch.cummax((x * 2).round(), 1)
        q = (x * 40).long()
        r = (x.abs() * 3).long()
        bits = ((q & 0x3C) | (r << 2)) ^ (~q >> 1) ^ torch.bitwise_and(q, r) ^ (q >> r) + int_bits(x[0, 0, 0], x.size(2))
        small = q.to(torch.int8)
        narrow = (small << 3) ^ (small >> r.to(torch.int8)) ^ (q.to(torch.uint8) >> 2).to(torch.int8)
        flags = ((x > 0) & (x < 1)) | (~(x > -0.5) ^ (q % 2 == 0))
        return out, mi, ni, tv, ti, torch.cumprod(q % 3, 2), bits, narrow, flags, torch.cumprod(x > -1, 1)


class Volumes(nn.Module):
    """3-D convolution and pooling over video-like x: [B, 3, 6, 10, 12]
    (strides, padding, dilation, groups, no bias, batch norm between), a
    3-D transposed convolution, and adaptive max pooling in 1-D, 2-D and
    3-D to sizes that do and do not divide the input. The first output is
    the classifier path, for the gradient tests."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv3d(3, 8, (3, 5, 5), stride=(1, 2, 2), padding=(1, 2, 2))
        self.bn = nn.BatchNorm3d(8)
        self.grouped = nn.Conv3d(8, 8, 3, padding=(2, 1, 1), dilation=(2, 1, 1), groups=2, bias=False)
        self.temporal = nn.Conv3d(8, 6, (3, 1, 1), stride=(2, 1, 1))
        self.up = nn.ConvTranspose3d(6, 6, (3, 2, 2), stride=(1, 2, 2), padding=(1, 0, 0), output_padding=(0, 1, 1),
                                     groups=2)
        self.pool = nn.MaxPool3d((2, 3, 3), stride=2, padding=(0, 1, 1), ceil_mode=True)
        self.avg = nn.AvgPool3d(3, stride=(1, 2, 2), padding=1, count_include_pad=False)
        self.head = nn.Linear(6 * 2 * 2 * 3, 5)

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:
        h = F.relu(self.bn(self.stem(x)))                               # [B, 8, 6, 5, 6]
        h = F.relu(self.grouped(h)) + h
        t = self.temporal(h)                                            # [B, 6, 2, 5, 6]
        feats = F.adaptive_avg_pool3d(t, (2, 2, 3)) + F.adaptive_avg_pool3d(self.up(t), (2, 2, 3))  # up: [B, 6, 2, 11, 13]
        logits = self.head(torch.flatten(feats, 1))
        pooled = self.pool(h)                                           # [B, 8, 3, 3, 3]
        avg = self.avg(h)[:, :, ::2] + F.avg_pool3d(h, 2, ceil_mode=True, divisor_override=3)
        amax = F.adaptive_max_pool3d(h, (4, 2, 3)) + F.adaptive_max_pool3d(h, 1)
        amax2 = F.adaptive_max_pool2d(x[:, 0], (4, 5)) + F.adaptive_max_pool2d(x[:, 1], 3)[:, :, :1, :1]
        amax1 = F.adaptive_max_pool1d(x[:, 2, 0], 5) + F.adaptive_max_pool1d(x[:, 2, 1], 4)[:, :, :1]
        unbatched = F.conv3d(x[0], self.stem.weight[:, :, :2], stride=(1, 2, 1)) + F.adaptive_avg_pool3d(x[0, :1], (3, 5, 7)).sum()
        return logits, pooled, avg + amax.mean(), amax2, amax1, unbatched


class CellsAndDistances(nn.Module):
    """nn.LSTMCell, nn.GRUCell and nn.RNNCell stepped over a sequence x:
    [B, 5, 8] in a loop (and one unbatched step); cosine similarity,
    pairwise distance, binary cross entropy and KL divergence against
    y: [B, 8]; gather, scatter and scatter_add along a dim; a bidirectional
    two-layer nn.LSTM with projections (proj_size) over x."""

    def __init__(self):
        super().__init__()
        self.projected = nn.LSTM(8, 10, num_layers=2, bidirectional=True, batch_first=True, proj_size=3)
        self.lstm = nn.LSTMCell(8, 6)
        self.gru = nn.GRUCell(8, 6, bias=False)
        self.rnn = nn.RNNCell(8, 6, nonlinearity="relu")
        self.tanh = nn.RNNCell(6, 8)
        self.register_buffer("perm", torch.randperm(8))

    def forward(self, x: Tensor, y: Tensor) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor,
                                                     Tensor, Tensor, Tensor, Tensor, Tensor]:
        b = x.size(0)
        h = torch.zeros(b, 6)
        c = torch.zeros(b, 6)
        g = torch.zeros(b, 6)
        r = torch.zeros(b, 6)
        for t in range(5):
            h, c = self.lstm(x[:, t], (h, c))
            g = self.gru(x[:, t], g)
            r = self.rnn(x[:, t], r)
        single = self.tanh(h[0])
        cos = F.cosine_similarity(x[:, 0], y) + F.cosine_similarity(x, y.unsqueeze(1), dim=2).sum(1)
        dist = F.pairwise_distance(x[:, 1], y) + F.pairwise_distance(x[:, 2], y, p=1.0, keepdim=True).squeeze(1)
        p = torch.sigmoid(x[:, 0])
        q = torch.sigmoid(y)
        bce = F.binary_cross_entropy(p, q)
        if torch.jit.is_scripting():  # tracing cannot follow the weight's broadcast (torch._infer_size)
            bce = bce + F.binary_cross_entropy(p, q, weight=q.detach(), reduction="sum")
        else:
            bce = bce + (F.binary_cross_entropy(p, q, reduction="none") * q).sum()
        kl = (F.kl_div(F.log_softmax(x[:, 0], 1), F.softmax(y, 1), reduction="batchmean")
              + F.kl_div(F.log_softmax(x[:, 1], 1), F.log_softmax(y, 1), reduction="sum", log_target=True))
        # Indices with repeats for gather and scatter_add, a permutation for scatter.
        idx = (x.abs() * 3).long().clamp(max=7)
        perm = self.perm.expand(x.size(0), 5, 8)
        gathered = torch.gather(x, 2, idx) + torch.gather(y.unsqueeze(1).expand(x.size(0), 5, 8), 2, perm)
        scattered = (torch.zeros_like(x).scatter_add(2, idx, x) + x.scatter(2, perm[:, :, :3], (y[:, :3] * 2).unsqueeze(1).expand(x.size(0), 5, 3))
                     + torch.scatter(x, 1, perm[:, :2, :] % 5, 0.5))
        # Everything in the first output too, which the gradient tests differentiate.
        projected, (hp, cp) = self.projected(x)  # [B, 5, 2 * 3], hp: [4, B, 3], cp: [4, B, 10]
        total = (h + c + g + r + single.sum() + (cos + dist).unsqueeze(1) + bce + kl
                 + (gathered + scattered).sum((1, 2)).unsqueeze(1) * 0.1 + projected[:, -1])
        return total, c, g, r, single, cos + dist, bce, kl, gathered, scattered, projected, hp, cp


class DenseOutputs(NamedTuple):
    features: Tensor
    aux: Optional[Tensor]


class DenseBlock(nn.Module):
    """Scripted only (a trace keeps no NamedTuple): a DenseNet block, whose
    list of features is passed to each layer and then appended to, returning
    a NamedTuple whose second field is None in eval mode, as torchvision's
    GoogLeNet does."""

    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([nn.Conv2d(4 + 3 * i, 3, 3, padding=1) for i in range(3)])

    def forward(self, x: Tensor) -> DenseOutputs:
        features: List[Tensor] = [x]
        for layer in self.layers:
            new = torch.relu(layer(torch.cat(features, 1)))
            features.append(new)
        aux: Optional[Tensor] = None
        if self.training:
            aux = features[-1].mean()
        return DenseOutputs(torch.cat(features, 1), aux)


class DictHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.low = nn.Conv2d(4, 2, 1)
        self.high = nn.Conv2d(8, 2, 1)

    def forward(self, features: Dict[str, Tensor]) -> Tensor:
        return self.low(features["low"]) + F.interpolate(self.high(features["high"]), size=(8, 8))


class DictModel(nn.Module):
    """Scripted only: dicts as torchvision's segmentation models use them, a
    dict attribute naming the layers to keep (IntermediateLayerGetter), a
    dict of features passed to a head, and a dict returned."""

    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleDict({"stem": nn.Conv2d(3, 4, 3, padding=1), "down": nn.Conv2d(4, 8, 3, 2, 1)})
        self.return_layers: Dict[str, str] = {"stem": "low", "down": "high"}
        self.head = DictHead()

    def forward(self, x: Tensor) -> Dict[str, Tensor]:
        features: Dict[str, Tensor] = {}
        for name, layer in self.layers.items():
            x = torch.relu(layer(x))
            if name in self.return_layers:
                features[self.return_layers[name]] = x
        result = {"out": self.head(features)}
        result["aux"] = features["high"].mean(1)
        return result


class Writes(nn.Module):
    """In-place writes into views, as TorchScript saves them (copy_, fill_,
    add_ and mul_ on slices, selects and transposes of a tensor; index_put_
    with a boolean mask); Swin's shifted-window mask, built with new_zeros
    and slice assignment over nested loops; an in-place ReLU in a submodule
    whose caller reads its argument afterwards; writes under an `if` (one
    condition always holds, one never does, so a trace runs as the script
    does) seen through a view taken before it; fill_diagonal_ (square, and
    tall with wrap) and a write through a detached alias, which shares its
    base's storage."""

    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(8, 8)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:
        y = self.proj(x)  # [B, 6, 8]
        y[:, 0] = 0.0
        rows = y[:, 1:3]
        rows.mul_(2.0)
        y[:, 3, 2:6] = x[:, 3, 0:4]
        y[..., -1] += 1.0
        t = y.transpose(1, 2)
        t[:, 0].fill_(0.5)
        y[:, 4, ::3] = -2.0
        seen = y[:, 5]
        if bool(x.abs().sum() >= 0):
            y[:, 5, :4] = x[:, 5, 4:] * 3.0
        else:
            y.zero_()
        if bool(x.abs().sum() < 0):
            seen.fill_(7.0)
        y[y > 1.0] = -1.0
        h = y * 2.0
        self.act(h)
        mask = x.new_zeros((6, 8))
        count = 0
        for hs in ((0, 2), (2, 4), (4, 6)):
            for ws in ((0, 3), (3, 8)):
                mask[hs[0]:hs[1], ws[0]:ws[1]] = count
                count += 1
        acc = torch.zeros_like(x[:, :, 0])
        for i in range(4):
            acc[:, i] += x[:, i].sum(-1)
        scale = torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
        grid = h[:, :, :6] * 1.0
        grid[0].fill_diagonal_(-3.0)
        tall = x[0, :, :2] * 1.0
        tall.fill_diagonal_(4.0, wrap=True)
        frozen = grid.detach()
        frozen[:, 1, 2] = 9.0
        return y, h, mask, acc * scale, seen, grid, tall


def double_row(t: Tensor, k: int) -> Tensor:
    t[k] = t[k] * 2.0
    return t.sum()


class WritesInLoops(nn.Module):
    """Scripted only: writes inside loops. A view taken before a while loop
    and written in it; rows written in a for loop; a function writing into
    its argument; a while loop (not unrolled: its condition reads data)
    writing at the counter's position, known only at run time; a list
    copied and assigned into under conditions on sizes, as Swin's shift."""

    def __init__(self):
        super().__init__()
        self.shift: List[int] = [2, 3]

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
        y = x.clone()
        z = y[:, 1:3]
        k = 0
        while k < 3 and bool(y.abs().sum() < 1e6):
            z.mul_(2.0)
            k += 1
        w = y[:, 0]
        for i in range(x.size(1)):
            row = y[:, i]
            row.add_(float(i))
        total = double_row(y, 0)
        acc = torch.zeros(x.size(0), 4)
        n = 0
        while n < 4 and bool(x.sum() > -1e9):
            acc[:, n] = y[:, n].sum(-1)
            n += 1
        shift = self.shift.copy()
        if x.size(1) >= 5:
            shift[0] = 0
        if x.size(2) > 100:
            shift[-1] = 0
        rolled = x
        if sum(shift) > 0:
            rolled = torch.roll(x, [-shift[0], -shift[1]], [1, 2])
        return y, w, total, acc, rolled


# ---------------------------------------------------------------- control flow


class ControlFlow(nn.Module):
    """Scripted only: a trace would bake the branches and unroll the loops.

    Both arms of the tensor-valued `if` in gate() run on every call: the
    inputs are built so that x sums to a positive value and y to a negative
    one, and forward() calls gate() on each.
    """

    def __init__(self):
        super().__init__()
        self.n_steps = 3
        self.lin = nn.Linear(16, 16)

    def gate(self, x: Tensor) -> Tensor:
        if x.sum() > 0:
            return torch.relu(self.lin(x))
        else:
            return torch.tanh(x) - 1.0

    def forward(self, x: Tensor, y: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        a = self.gate(x)
        b = self.gate(y)
        # Trip count from a module attribute, carrying a tensor.
        h = a
        for _ in range(self.n_steps):
            h = torch.tanh(self.lin(h)) + b
        # Trip count from the batch size, with an int-valued branch inside.
        acc = torch.zeros_like(h[0])
        for i in range(x.size(0)):
            if i % 2 == 0:
                acc = acc + h[i] * (i + 1)
            else:
                acc = acc - h[i]
        # Data-dependent trip count; halving is exact, so is the comparison.
        s = acc
        k = 0
        while k < 20 and bool(s.abs().amax() > 0.5):
            s = s * 0.5
            k += 1
        return h, acc, s


def control_flow_inputs(b: int, g: torch.Generator) -> Tuple[Tensor, ...]:
    x = randn(g, b, 16).abs() + 0.1     # sum > 0: gate's `if` arm
    y = -(randn(g, b, 16).abs() + 0.1)  # sum < 0: gate's `else` arm
    return x, y


# ---------------------------------------------------------------- tuples


class TwoInputsTuple(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(16, 4)

    def forward(self, x: Tensor, y: Tensor) -> Tuple[Tensor, Tensor]:
        a = self.fc(torch.cat([x, y], dim=1))
        b = (x * y).sum(dim=1)
        return a, b


class NestedTuple(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 8)

    def forward(self, x: Tensor, y: Tensor) -> Tuple[Tensor, Tuple[Tensor, Tensor]]:
        h = self.fc(x) + y
        return h, (h.sum(dim=1), torch.relu(h - y)[:, :3])


# ---------------------------------------------------------------- embedding


class EmbeddingClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(1000, 32)
        self.fc = nn.Linear(32, 5)

    def forward(self, ids: Tensor) -> Tensor:
        h = self.emb(ids).mean(dim=1)
        return F.log_softmax(self.fc(h), dim=-1)


class EmbeddingMaxNorm(nn.Module):
    """nn.Embedding with max_norm: a trace renormalizes the rows it looks up
    (embedding_renorm_ through a detached alias of the weight); a script
    would not (TorchScript drops the renorm), so it is traced only."""

    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(50, 8, max_norm=1.5)
        self.fc = nn.Linear(8, 3)

    def forward(self, ids: Tensor) -> Tensor:
        return self.fc(self.emb(ids).mean(dim=1))


class EmbeddingBags(nn.Module):
    """nn.EmbeddingBag in its three modes: sum with per-sample weights over
    bags given by offsets (one of them empty), mean with a padding index
    over fixed-length bags (a 2-D input), max with include_last_offset; a
    linear head on all three is output 0."""

    def __init__(self):
        super().__init__()
        self.sum = nn.EmbeddingBag(50, 8, mode="sum")
        self.mean = nn.EmbeddingBag(50, 8, mode="mean", padding_idx=0)
        self.max = nn.EmbeddingBag(50, 8, mode="max", include_last_offset=True)
        self.head = nn.Linear(24, 3)

    def forward(self, tokens: Tensor, bounds: Tensor, weights: Tensor, windows: Tensor
                ) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
        s = self.sum(tokens, bounds[:-1], per_sample_weights=weights)
        m = self.mean(windows)
        x = self.max(tokens, bounds)
        return self.head(torch.cat([s, m, x], 1)), s, m, x


def embedding_bag_inputs(b: int, g: torch.Generator) -> Tuple[Tensor, ...]:
    n = 5 * b
    tokens = torch.randint(0, 50, (n,), generator=g)
    # b bags: sorted starts from 0, the second one empty, then the end n.
    starts = torch.sort(torch.randint(0, n + 1, (max(b - 2, 0),), generator=g)).values
    bounds = torch.cat([torch.tensor([0, 0]), starts, torch.tensor([n])])
    windows = torch.randint(0, 50, (b, 6), generator=g)
    windows[0, :3] = 0  # padding
    windows[1, :] = 0   # a bag of padding only
    return tokens, bounds, torch.rand(n, generator=g), windows


class ScatterReduce(nn.Module):
    """Reducing scatters, as graph networks aggregate messages:
    scatter_reduce (sum, prod, mean, amax, amin, with and without self),
    scatter with reduce="multiply" and "add" (a tensor and a scalar), and
    index_reduce, on x: [B, 6, 4] from src: [B, 9, 4] at idx: [B, 9, 4] in
    [0, 6) and rows: [3] in [0, 4); integer means round down."""

    def forward(self, x: Tensor, src: Tensor, idx: Tensor, rows: Tensor) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
        total = (x.scatter_reduce(1, idx, src, "sum") + x.scatter_reduce(1, idx, src, "prod", include_self=False)
                 + x.scatter_reduce(1, idx, src, "mean") + x.scatter_reduce(1, idx, src, "amax", include_self=False)
                 + x.scatter_reduce(1, idx, src, "amin")
                 + x.index_reduce(2, rows, src[:, :6, :3], "mean", include_self=False)
                 + x.index_reduce(2, rows, src[:, :6, :3], "amax"))
        counts = (x * 3).long()
        moved = (src * 3).long()
        # torch has no derivative for scatter with `reduce`: not in output 0.
        return (total, x.scatter(1, idx, src, reduce="multiply") + x.scatter(1, idx, 2.0, reduce="add"),
                counts.scatter_reduce(1, idx, moved, "mean"),
                counts.scatter_reduce(1, idx, moved, "amax", include_self=False),
                x.scatter_reduce(1, idx, src, "mean", include_self=False))


def scatter_reduce_inputs(b: int, g: torch.Generator) -> Tuple[Tensor, ...]:
    return (randn(g, b, 6, 4), randn(g, b, 9, 4), torch.randint(0, 6, (b, 9, 4), generator=g),
            torch.randint(0, 4, (3,), generator=g))


class PoolIndices(nn.Module):
    """Max pooling with its indices and max_unpool: a SegNet-style
    encoder-decoder (the pool's indices place the decoder's values; ReLU's
    zeros tie in the windows), and on x: [B, 3, 9, 10] pools in 1-D, 2-D
    (padding, dilation, ceil_mode) and 3-D, adaptive max pooling, each with
    its indices, and max_unpool1d/3d."""
    def __init__(self):
        super().__init__()
        self.enc = nn.Conv2d(3, 4, 3, padding=1)
        self.pool = nn.MaxPool2d(2, 2, return_indices=True)
        self.mid = nn.Conv2d(4, 4, 3, padding=1)
        self.dec = nn.Conv2d(4, 3, 3, padding=1)

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:
        h = torch.relu(self.enc(x))
        p, i = self.pool(h)
        u = F.max_unpool2d(torch.relu(self.mid(p)), i, 2, output_size=[h.size(2), h.size(3)])
        y2, i2 = F.max_pool2d(x, (2, 3), (2, 1), (1, 1), (2, 1), ceil_mode=True, return_indices=True)
        a, j = F.max_pool1d(x[:, 0], 3, 2, 1, return_indices=True)
        b, k = F.max_pool3d(x.unsqueeze(1), 2, return_indices=True)
        c, m = F.adaptive_max_pool2d(x, (3, 4), return_indices=True)
        u1 = F.max_unpool1d(a, j, 3, 2, 1, output_size=[x.size(3)])
        u3 = F.max_unpool3d(b, k, 2, output_size=[x.size(1), x.size(2), x.size(3)])
        out = (self.dec(u) + u1.unsqueeze(1) + u3.squeeze(1) + y2.mean() + b.mean() + c.mean())
        return out, i, i2, j, k, m, c


def pool_indices_inputs(b: int, g: torch.Generator) -> Tuple[Tensor, ...]:
    return (randn(g, b, 3, 9, 10),)


class Masks(nn.Module):
    """Selections whose size the data decides: boolean-mask indexing (over
    every dim, over the leading dims), masked_select with a broadcast mask,
    nonzero, argwhere and where(condition) feeding reductions and gathers; a
    mask computed twice; values written back under a mask, and a source's
    elements in order (masked_scatter); distinct values (unique,
    unique_consecutive) with their counts and each element's group. Every output has a size the inputs
    decide: x [B, 5, 6], y [B, 5, 6]."""
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(6, 6)

    def forward(self, x: Tensor, y: Tensor) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:
        h = self.lin(x)
        m = h > 0
        sel = h[m]
        out = torch.zeros_like(h)
        out[m] = sel * 2.0 + y[m]
        out = out + h.masked_scatter(y > 0.3, torch.tanh(x) * 3.0)
        loss = ((h[h > 0] - y[h > 0]) ** 2).mean()
        rows = h[m.any(-1)]
        row_mean = rows.sum(0) / (rows.size(0) + 1)
        positions = torch.nonzero(y > 0.5).float().mean(0) + torch.argwhere(y < -0.5).float().sum(0)
        a, b, c = torch.where(y < -1.0)
        picked = torch.tanh(x[a, b, c]).sum()
        broadcast = torch.masked_select(h, y.sum(-1, keepdim=True) > 0).mean()
        levels = torch.round(y * 2.0)
        distinct, inverse, counts = torch.unique(levels, return_inverse=True, return_counts=True)
        runs, run_lengths = torch.unique_consecutive(levels, return_counts=True)
        summary = torch.stack([distinct.sum(), counts.float().max(), inverse.float().mean(),
                               runs.sum(), run_lengths.float().max(), torch.ones_like(distinct).sum() + torch.ones_like(runs).sum()])
        return out, loss, row_mean, positions, picked, broadcast, m.sum(), summary

    @torch.jit.export
    def selected(self, x: Tensor, y: Tensor) -> Tensor:
        """An output as long as the mask selects: runs, but cannot deploy."""
        return torch.tanh(x[y > 0])


def masks_inputs(b: int, g: torch.Generator) -> Tuple[Tensor, ...]:
    return (randn(g, b, 5, 6), randn(g, b, 5, 6))


class SamplingGrids(nn.Module):
    """F.affine_grid and F.grid_sample: a spatial transformer (a small
    localization network predicts theta, near the identity), sampled in
    every mode and padding mode, either align_corners; a grid given as an
    input; trilinear and nearest sampling of a volume by a 3-D affine grid;
    sliding blocks (F.unfold, F.fold). The first output holds every
    sampling that passes a gradient."""

    def __init__(self):
        super().__init__()
        self.loc = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(16, 6))
        self.loc3 = nn.Linear(2 * 3 * 4 * 5, 12)
        with torch.no_grad():
            self.loc[-1].weight.mul_(0.2)
            self.loc3.weight.mul_(0.2)

    def forward(self, image: Tensor, volume: Tensor, grid: Tensor) -> Tuple[Tensor, Tensor]:
        theta = self.loc(image).view(-1, 2, 3) + torch.cat([torch.eye(2), torch.zeros(2, 1)], 1)
        warped = F.affine_grid(theta, [image.size(0), 3, 5, 4], align_corners=False) * 1.3
        corners = F.affine_grid(theta, [image.size(0), 3, 5, 4], align_corners=True) * 1.1
        planar = (F.grid_sample(image, warped, mode="bilinear", padding_mode="zeros", align_corners=False)
                  + F.grid_sample(image, corners, mode="bilinear", padding_mode="border", align_corners=True)
                  + F.grid_sample(image, warped, mode="bilinear", padding_mode="reflection", align_corners=False)
                  + F.grid_sample(image, corners, mode="bicubic", padding_mode="zeros", align_corners=True)
                  + F.grid_sample(image, warped, mode="bicubic", padding_mode="border", align_corners=False)
                  + F.grid_sample(image, corners, mode="bicubic", padding_mode="reflection", align_corners=True)
                  + F.grid_sample(image, grid, mode="bilinear", padding_mode="reflection", align_corners=True)
                  + F.grid_sample(image, grid, mode="nearest", padding_mode="zeros", align_corners=False))
        theta3 = self.loc3(volume.flatten(1)).view(-1, 3, 4) + torch.eye(3, 4)
        grid3 = F.affine_grid(theta3, [volume.size(0), 2, 2, 3, 4], align_corners=False) * 1.2
        solid = (F.grid_sample(volume, grid3, mode="bilinear", padding_mode="zeros", align_corners=False)
                 + F.grid_sample(volume, grid3, mode="bilinear", padding_mode="reflection", align_corners=True))
        nearest = (F.grid_sample(image, warped, mode="nearest", padding_mode="border", align_corners=True)
                   + F.grid_sample(image, warped, mode="nearest", padding_mode="reflection", align_corners=False)
                   + F.grid_sample(volume, grid3, mode="nearest", padding_mode="border", align_corners=False).sum((2, 3, 4))
                   .unsqueeze(-1).unsqueeze(-1).narrow(1, 0, 1))
        # Sliding blocks: F.unfold and its inverse, F.fold, summing overlaps.
        blocks = F.unfold(image, 3, dilation=(1, 2), padding=1, stride=2)
        folded = F.fold(torch.tanh(blocks), (6, 7), 3, dilation=(1, 2), padding=1, stride=2)
        return torch.cat([planar.flatten(1), solid.flatten(1), blocks.flatten(1), folded.flatten(1)], 1), nearest


class OpsMore(nn.Module):
    """Elementwise functions written with others (logaddexp, hypot,
    copysign, signbit, heaviside, xlogy, sinc, degrees, isclose), reductions
    that leave NaNs out or count (nansum, nanmean, count_nonzero, aminmax),
    distances between every pair of rows (cdist), stacking, matrix
    transposes, flips, rotations, diagonals and traces, gathers along a dim,
    pixel unshuffling, channel shuffling, Kronecker and cross products,
    addmv and addbmm, and eval-mode dropouts. The first output holds
    everything differentiable."""

    def forward(self, x: Tensor, y: Tensor) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
        p = x.abs() + 0.1
        zero_or = torch.where(y.abs() < 0.3, torch.zeros_like(y), y)
        nan_or = torch.where(x > 1.0, torch.full_like(x, float("nan")), x)
        smooth = torch.cat([
            torch.logaddexp(x, y).flatten(1), torch.logaddexp2(x, y * 2).flatten(1), torch.hypot(x, y).flatten(1),
            torch.copysign(x, zero_or).flatten(1), torch.xlogy(p, p + y.abs()).flatten(1), torch.sinc(x).flatten(1),
            torch.deg2rad(x).flatten(1), torch.rad2deg(y).flatten(1),
            torch.cdist(x, y).flatten(1), torch.cdist(x, y, p=1.0).flatten(1), torch.cdist(x, x, p=3.0).flatten(1),
            torch.diagonal(x, 1, 1, 2).flatten(1), torch.diagonal(x, -1, 2, 1).flatten(1),
            (torch.diag(x[0]) + torch.trace(y[0])).unsqueeze(0).expand(x.size(0), 4),
            torch.hstack([x, y]).flatten(1), torch.vstack([x, y]).reshape(x.size(0), -1),
            torch.dstack([x, y]).flatten(1), torch.column_stack([x[:, 0, 0], y[:, 1, 1]]),
            x.mT.flatten(1), torch.adjoint(y).flatten(1), torch.fliplr(x).flatten(1), torch.flipud(y).reshape(x.size(0), -1),
            torch.nansum(nan_or, 1).flatten(1), torch.nanmean(nan_or, dim=2, keepdim=True).flatten(1),
            F.alpha_dropout(x, 0.5, False).flatten(1), F.dropout2d(y, 0.5, False).flatten(1),
            torch.rot90(x, 1, [1, 2]).flatten(1), torch.rot90(y, -2, [2, 1]).flatten(1),
            torch.take_along_dim(x, torch.argsort(y, 2)[:, :, :2], 2).flatten(1),
            F.pixel_unshuffle(x[:, :4, :4].unsqueeze(1), 2).flatten(1),
            torch.linalg.cross(x[:, :, :3], y[:, :, 1:4]).flatten(1), torch.cross(x[:, :3], y[:, 1:], dim=1).flatten(1),
            torch.kron(x[0, :2, :2], y[0, :2, :3]).flatten().unsqueeze(0).expand(x.size(0), 24),
            torch.addmv(x[0, 0, :4], x[0], y[0, 0], beta=0.5, alpha=2.0).unsqueeze(0).expand(x.size(0), 4),
            torch.addbmm(x[0, :, :4], x[:, :, :3], y[:, :3, :4]).flatten().unsqueeze(0).expand(x.size(0), 16),
        ], 1)
        counts = torch.count_nonzero(zero_or, 1) + torch.count_nonzero(zero_or, dim=[1, 2]).unsqueeze(1)
        lo, hi = torch.aminmax(x, dim=1)
        whole_lo, whole_hi = torch.aminmax(y)
        flags = (torch.signbit(zero_or).float() + torch.heaviside(zero_or, y) * 2
                 + torch.isclose(x, x + y * 1e-6).float() * 4 + torch.isclose(nan_or, nan_or, equal_nan=True).float() * 8)
        # LibTorch has no gradient for channel_shuffle: it stays out of the first output.
        shuffled = F.channel_shuffle(y.detach().unsqueeze(3), 2).squeeze(3)
        return smooth, counts, lo + hi, whole_lo + whole_hi, flags + shuffled + torch.diag(x[0, 0], 1).sum()


class QuantizableNet(nn.Module):
    """Linear layers around a layer norm; quantized_dynamic() makes them int8."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(16, 32)
        self.relu = nn.ReLU()
        self.norm = nn.LayerNorm(32)
        self.fc2 = nn.Linear(32, 24)
        self.fc3 = nn.Linear(24, 4, bias=False)

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        h = self.norm(self.relu(self.fc1(x)))
        h = self.fc2(h)
        return self.fc3(torch.tanh(h)), h[:, 0]


def quantized_dynamic() -> nn.Module:
    """torch.quantization.quantize_dynamic of QuantizableNet: fc1 fused with
    its ReLU and quantized per channel, fc2 and fc3 (no bias) per tensor."""
    import torch.ao.quantization as q
    model = QuantizableNet().eval()
    q.fuse_modules(model, [["fc1", "relu"]], inplace=True)
    return q.quantize_dynamic(model, {"fc1": q.per_channel_dynamic_qconfig, "fc2": q.default_dynamic_qconfig,
                                      "fc3": q.default_dynamic_qconfig}, dtype=torch.qint8)


class QuantizableRecurrent(nn.Module):
    """An LSTM (batch first, two layers, both directions), a GRU cell over its
    last step and a linear head; quantized_recurrent() makes them int8."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(16, 12, num_layers=2, batch_first=True, bidirectional=True)
        self.cell = nn.GRUCell(24, 10)
        self.head = nn.Linear(10, 3)

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        y, (h, c) = self.lstm(x)
        g = self.cell(y[:, -1])
        return self.head(g), c.sum(0)


def quantized_recurrent() -> nn.Module:
    """torch.quantization.quantize_dynamic of QuantizableRecurrent with its
    defaults: every layer int8, per tensor."""
    import torch.ao.quantization as q
    return q.quantize_dynamic(QuantizableRecurrent().eval(), dtype=torch.qint8)


class OpsConveniences(nn.Module):
    """Conveniences scripts keep by name: nn.Bilinear, nn.RReLU (eval),
    view_as, reshape_as, ravel, broadcast_to, atleast_1d/2d/3d, Tensor.unfold,
    diag_embed, linalg.matmul, fmax and fmin (with NaNs), positive, cov (with
    frequency and importance weights) and corrcoef, trapezoid, trapz and
    cumulative_trapezoid, dist, reflection and replication padding in 3-D;
    hsplit, vsplit, dsplit; isin and isreal. The first output holds everything differentiable."""

    def __init__(self):
        super().__init__()
        self.bilinear = nn.Bilinear(6, 5, 3)
        self.rrelu = nn.RReLU(0.1, 0.3)
        self.register_buffer("fweights", torch.tensor([1, 2, 0, 3, 1, 2]))
        self.register_buffer("aweights", torch.tensor([0.5, 1.0, 2.0, 0.25, 1.5, 1.0]))

    def forward(self, x: Tensor, y: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        b = x.size(0)
        nan_or = torch.where(x > 1.0, torch.full_like(x, float("nan")), x)
        first = x[0]
        z = y[:, :, :6]
        smooth = torch.cat([
            self.bilinear(x, y[:, :, :5]).flatten(1), self.rrelu(x).flatten(1),
            y.flatten(1)[:, :24].view_as(x).flatten(1), x.flatten(1).reshape_as(z).flatten(1),
            torch.ravel(x[:, 1:3]).view(b, -1),
            torch.broadcast_to(x[:, :1], (b, 4, 6)).flatten(1),
            torch.atleast_1d(x[0, 0, 0]).expand(b, 1), torch.atleast_2d(x[0, 0]).expand(b, 6),
            torch.atleast_3d(x[0]).flatten().unsqueeze(0).expand(b, 24),
            x.unfold(2, 3, 2).flatten(1), y.unfold(1, 2, 1).flatten(1),
            torch.diag_embed(x[:, 0]).flatten(1), torch.diag_embed(x[:, :2, :3], 1, 0, 2).movedim(1, 0).flatten(1),
            torch.diag_embed(y[:, 1], -2).flatten(1),
            torch.linalg.matmul(x, z.transpose(1, 2)).flatten(1),
            torch.fmax(nan_or, z).flatten(1), torch.fmin(z, nan_or).flatten(1), torch.positive(x).flatten(1),
            torch.cov(first).flatten().unsqueeze(0).expand(b, 16),
            torch.cov(first, correction=0, fweights=self.fweights, aweights=self.aweights).flatten().unsqueeze(0).expand(b, 16),
            torch.cov(first, fweights=self.fweights).flatten().unsqueeze(0).expand(b, 16),
            torch.cov(first[0]).expand(b, 1), torch.corrcoef(first).flatten().unsqueeze(0).expand(b, 16),
            torch.trapezoid(x), torch.trapezoid(x, dx=0.5, dim=1).flatten(1), torch.trapz(y, dim=1).flatten(1),
            torch.trapezoid(x, y[:, 1:2, :6].abs().cumsum(2)), torch.trapz(x, torch.arange(6.0) * 0.3).flatten(1),
            torch.cumulative_trapezoid(x).flatten(1), torch.cumulative_trapezoid(x, dx=2.0, dim=1).flatten(1),
            torch.dist(x, z).expand(b, 1), torch.dist(x, z, 1.5).expand(b, 1),
            F.pad(x.view(b, 1, 2, 2, 6), (1, 2, 1, 0, 1, 1), mode="reflect").flatten(1),
            F.pad(x.view(b, 1, 2, 2, 6), (2, 0, 1, 1, 0, 3), mode="replicate").flatten(1),
            torch.hsplit(x, 2)[1].flatten(1), torch.dsplit(x, [2, 5])[1].flatten(1),
            torch.vsplit(first, [1, 3])[1].flatten().unsqueeze(0).expand(b, 12),
            torch.hsplit(first[0], 3)[2].expand(b, 2),
        ], 1)
        found = torch.isin(torch.round(x * 2), torch.round(y * 2)) | torch.isin(torch.round(z), 1.0)
        missing = torch.isin(torch.round(x * 2), torch.round(y * 2), invert=True)
        return smooth, found.float() + missing.float() * 2, torch.isreal(x).float() + torch.isin(2.0, torch.round(y)).float()


def as_row(t: Tensor, b: int) -> Tensor:
    """A tensor of no batch flattened into one row per sample."""
    return t.flatten().unsqueeze(0).expand(b, t.numel())


class OpsSpecial(nn.Module):
    """Special functions (lgamma, digamma, erfinv, erfc, i0, i0e, i1, i1e,
    erfcx, ndtr, log_ndtr, ndtri, zeta, polygamma, gammainc, gammaincc, entr, mvlgamma, xlog1py, float_power, ldexp,
    frexp; torch.special's other names), vector and matrix norms (linalg.norm, matrix_norm,
    renorm, pdist), tensors built from others (cartesian_prod, block_diag,
    vander, tril/triu_indices, linspace, logspace) and the multi-margin, multilabel-margin and
    Gaussian NLL losses (the last scripts a `with torch.no_grad()` block).
    The first output holds everything differentiable. The last holds the
    Bessel functions and orthogonal polynomials, which torch does not
    differentiate; a polynomial's degree is a constant or a tensor from the data."""

    def forward(self, x: Tensor, p: Tensor) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
        b = x.size(0)
        q = p * 0.9 + 0.05
        classes = torch.argmax(p[:, 0], 1)
        labels = torch.where(p[:, 2] > 0.6, torch.full_like(classes, -1).unsqueeze(1), torch.argsort(p[:, 1], 1))
        smooth = torch.cat([
            torch.lgamma(q * 3 + 0.1).flatten(1), torch.lgamma(-0.5 - 0.4 * q).flatten(1),
            torch.digamma(q * 3 + 0.1).flatten(1), torch.digamma(-0.5 - 0.4 * q).flatten(1),
            torch.erfinv(q * 1.8 - 0.9).flatten(1), torch.erfc(x * 2).flatten(1), torch.i0(x * 2).flatten(1),
            torch.float_power(q, 2.5).float().flatten(1), torch.ldexp(x, torch.tensor(3)).flatten(1),
            torch.special.i0e(x * 3).flatten(1), torch.special.i1(x * 3).flatten(1), torch.special.i1e(x * 3).flatten(1),
            torch.special.erfcx(x).flatten(1), torch.special.ndtr(x).flatten(1), torch.special.log_ndtr(x * 3).flatten(1),
            torch.special.entr(q).flatten(1), torch.mvlgamma(q + 1.5, 3).flatten(1), torch.special.xlog1py(x, q).flatten(1),
            torch.special.expit(x).flatten(1), torch.special.softmax(x, 2).flatten(1),
            torch.special.zeta(3.0, q * 2 + 0.5).flatten(1), torch.special.zeta(2.0, -2.5 - 0.4 * q).flatten(1),
            torch.special.zeta(p.detach() * 3 + 1.2, x.abs() + 0.1).flatten(1),
            torch.polygamma(1, q * 3 + 0.1).flatten(1), torch.polygamma(1, -0.5 - 0.4 * q).flatten(1),
            torch.special.polygamma(2, x * 0.5 + 2.5).flatten(1), (q * 3 + 1.0).polygamma(3).flatten(1),
            torch.special.ndtri(q).flatten(1), torch.special.ndtri(q * 1e-3).flatten(1),
            torch.special.ndtri(q * 1e-20).flatten(1), torch.special.ndtri(1 - q * 1e-3).flatten(1),
            torch.special.gammainc(q.detach() * 4 + 0.2, x.abs() * 3).flatten(1),
            torch.special.gammaincc(q.detach() * 40 + 20, x.abs() * 20 + 15).flatten(1), torch.igamma(q.detach() + 0.5, x * x * 0.2).flatten(1),
            torch.linalg.norm(x, dim=2), torch.linalg.norm(x, float("inf"), dim=(1, 2)).unsqueeze(1),
            torch.linalg.matrix_norm(x, 1.0).unsqueeze(1), torch.linalg.matrix_norm(x, float("-inf")).unsqueeze(1),
            torch.linalg.norm(x, "fro", (1, 2)).unsqueeze(1), torch.renorm(x, 2.0, 1, 1.0).flatten(1),
            as_row(F.pdist(x[0]), b), as_row(F.pdist(x[0], 1.0), b),
            as_row(torch.cartesian_prod(x[0, 0, :3], p[0, 0, :2]), b),
            as_row(torch.block_diag(x[0, :2, :3], p[0, 0, :2], x[0, 0, 0]), b),
            F.multi_margin_loss(x[:, 0], classes, reduction="none").unsqueeze(1),
            F.multi_margin_loss(x[:, 1], classes, p=2, margin=0.5, weight=q[0, 0].detach(), reduction="none").unsqueeze(1),
            F.multilabel_margin_loss(x[:, 1], labels, reduction="none").unsqueeze(1),
            F.gaussian_nll_loss(x[:, 2], p[:, 2], q[:, 3], reduction="none"),
            F.gaussian_nll_loss(x[:, 3], p[:, 3], q[:, 4], full=True).expand(b).unsqueeze(1),
        ], 1)
        mantissa, exponent = torch.frexp(x * 3)
        indices = torch.cat([as_row(torch.tril_indices(3, 4, 1), b), as_row(torch.triu_indices(4, 3, -1), b),
                             exponent.flatten(1).long()], 1)
        # LibTorch cannot differentiate vander (its cumprod is in place): not in the first output.
        powers = torch.cat([mantissa.flatten(1), as_row(torch.vander(x[0, 0, :4]), b),
                            as_row(torch.vander(x[0, 0, :3], 5, increasing=True), b),
                            as_row(torch.linspace(-3, 3, 7), b), as_row(torch.linspace(0.5, x.size(2), 11), b),
                            as_row(torch.linspace(4, -1, 1), b), as_row(torch.linspace(1, 10, 6, dtype=torch.int64), b),
                            as_row(torch.logspace(-1, 2, 5), b), as_row(torch.logspace(0, 3, 4, base=2.0), b)], 1)
        u = p * 2 - 1
        degree = torch.floor(q * 9)
        sp = torch.special
        series = torch.cat([
            sp.bessel_j0(x * 4).flatten(1), sp.bessel_j1(x * 4).flatten(1), sp.bessel_y0(q * 8).flatten(1),
            sp.bessel_y1(q * 8 + 0.5).flatten(1), sp.modified_bessel_i0(x).flatten(1), sp.modified_bessel_i1(x).flatten(1),
            sp.modified_bessel_k0(q * 4 + 0.2).flatten(1), sp.modified_bessel_k1(q * 4 + 0.2).flatten(1),
            sp.scaled_modified_bessel_k0(q * 4 + 0.2).flatten(1), sp.scaled_modified_bessel_k1(q * 4 + 0.2).flatten(1),
            sp.spherical_bessel_j0(x * 3).flatten(1), sp.airy_ai(x * 2).flatten(1),
            sp.chebyshev_polynomial_t(u, degree).flatten(1), sp.chebyshev_polynomial_u(u, 4).flatten(1),
            sp.chebyshev_polynomial_v(u, degree).flatten(1) / 20, sp.chebyshev_polynomial_w(u, 3).flatten(1) / 10,
            sp.shifted_chebyshev_polynomial_t(p, degree).flatten(1), sp.shifted_chebyshev_polynomial_u(p, degree).flatten(1) / 10,
            sp.shifted_chebyshev_polynomial_v(p, 5).flatten(1) / 10, sp.shifted_chebyshev_polynomial_w(0.3, degree).flatten(1) / 20,
            sp.hermite_polynomial_h(u, torch.floor(q * 5)).flatten(1) / 10, sp.hermite_polynomial_he(u, degree).flatten(1) / 10,
            sp.laguerre_polynomial_l(q * 3, degree).flatten(1), sp.legendre_polynomial_p(u, degree).flatten(1),
        ], 1)
        return smooth, powers, indices, series


class OpsSelect(nn.Module):
    """Order statistics (kthvalue, median, nanmedian, quantile, nanquantile,
    mode), bucket indices (bucketize, searchsorted), histograms (histc) and
    writes of whole slices and flat positions (index_copy, index_fill, take,
    put; masked_scatter is in Masks, with the sizes the data decides). The
    first output holds everything differentiable."""

    def forward(self, x: Tensor, y: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        b = x.size(0)
        nan_or = torch.where(x > 1.2, torch.full_like(x, float("nan")), x)
        qs = torch.tensor([0.1, 0.5, 0.75])
        smooth = torch.cat([
            torch.kthvalue(x, 3, 2)[0], torch.kthvalue(x, 2, 1, keepdim=True)[0].flatten(1),
            torch.median(x, 1)[0], torch.nanmedian(nan_or, 2)[0], as_row(torch.median(x[0]), b),
            torch.quantile(x, qs, dim=2).permute(1, 0, 2).flatten(1),
            torch.quantile(x, 0.3, dim=1, interpolation="midpoint"), torch.nanquantile(nan_or, 0.6, dim=2),
            torch.quantile(x, 0.8, dim=2, keepdim=True, interpolation="nearest").flatten(1),
            as_row(torch.quantile(x[0], 0.25), b),
            x.index_copy(1, torch.tensor([4, 0]), y[:, :2]).flatten(1),
            x.index_fill(2, torch.tensor([1, 3]), -0.5).flatten(1),
            as_row(torch.take(x[0], torch.tensor([[0, 7], [20, 34]])), b),
            x.put(torch.tensor([0, 7, 20]), y[0, 0, :3]).flatten(1),
        ], 1)
        boundaries = torch.tensor([-1.0, -0.25, 0.0, 0.5, 1.5])
        places = torch.cat([torch.bucketize(x, boundaries).flatten(1),
                            torch.bucketize(x, boundaries, right=True).flatten(1),
                            torch.searchsorted(torch.sort(y, 2)[0], x, side="right").flatten(1),
                            torch.mode(torch.round(x * 2), 2)[1]], 1)
        counts = torch.cat([as_row(torch.histc(x, 6, -2.0, 2.0), b), as_row(torch.histc(y, 4), b),
                            torch.mode(torch.round(x * 2), 2)[0]], 1)
        return smooth, places, counts


def sampling_grids_inputs(b: int, g: torch.Generator) -> Tuple[Tensor, ...]:
    return (randn(g, b, 3, 6, 7), randn(g, b, 2, 3, 4, 5), torch.rand(b, 5, 4, 2, generator=g) * 2.6 - 1.3)


# ---------------------------------------------------------------- reduced precision


class ReducedPrecisionNet(nn.Module):
    """Weights in bfloat16 or float16 (the module converted with .to());
    f32 inputs cast to the weights' dtype on the way in and results cast back
    on the way out, as a mixed-precision deployment does. Convolution, batch
    norm, pooling, linear, layer norm, softmax and a batched product all run
    in the reduced dtype. LibTorch's CPU kernels lack float16, so its side of
    the float16 model runs converted to f32 (reference.py)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.pool = nn.MaxPool2d(2)
        self.avg = nn.AvgPool2d(2)
        self.gap = nn.AdaptiveAvgPool2d(2)
        self.fc1 = nn.Linear(32, 48)
        self.norm = nn.LayerNorm(48)
        self.fc2 = nn.Linear(48, 10)

    def forward(self, x: Tensor, y: Tensor) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
        dtype = self.conv.weight.dtype
        h = self.pool(F.relu(self.bn(self.conv(x.to(dtype)))))
        pooled = self.avg(h).sum(dim=(2, 3))
        h = torch.flatten(self.gap(h), 1)
        logits = self.fc2(F.gelu(self.norm(self.fc1(h))))
        probs = torch.softmax(logits, -1)
        yb = y.to(dtype)
        gram = torch.bmm(yb, yb.transpose(1, 2)).mean(-1) * 0.5 + 1.0
        return logits.float(), probs.float(), pooled.float(), gram.float()


def reduced_precision_inputs(b: int, g: torch.Generator) -> Tuple[Tensor, ...]:
    return randn(g, b, 3, 8, 8), randn(g, b, 4, 6)


# ---------------------------------------------------------------- op coverage


class OpsPointwise(nn.Module):
    """Activations and elementwise math; one output per group of ops."""

    def forward(self, x: Tensor, y: Tensor) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
        act = (F.leaky_relu(x, 0.1) + F.relu6(x * 4.0) + F.hardtanh(x, -0.5, 0.5)
               + F.hardswish(x) + F.elu(x) + F.softplus(x))
        smooth = F.silu(x) + F.gelu(x) + torch.tanh(x) + torch.sigmoid(y)
        mag = y.abs() + 0.5
        elem = (torch.clamp(x, -1.0, 1.0) + torch.pow(x, 2) + torch.pow(mag, torch.tanh(y))
                 + torch.sqrt(mag) + torch.rsqrt(mag) + torch.exp(x * 0.5) + torch.log(mag))
        select = torch.where(x > y, x, y * 0.5) + torch.where(x <= 0.0, -x, torch.zeros_like(x))
        arith = (x - y) * 2.0 / (1.0 + y * y) + x.neg() + torch.minimum(x, y) + torch.maximum(x, y)
        arith = (arith + torch.div(x * 3.0, mag, rounding_mode="trunc")
                 + torch.div(y * 3.0, 0.7, rounding_mode="floor"))
        return act, smooth, elem, select, arith


class OpsShape(nn.Module):
    """Views, concatenation, splitting and indexing on x: [B, 4, 6, 8]."""

    def __init__(self):
        super().__init__()
        self.register_buffer("idx", torch.tensor([5, 0, 2, 2]))

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:
        B = x.size(0)
        p = x.permute(0, 2, 3, 1).reshape(B, -1)                   # [B, 192]
        f = torch.flatten(x, 1) + p                                # [B, 192]
        u = x.mean(dim=1).unsqueeze(1)                             # [B, 1, 6, 8]
        e = u.expand(B, 4, 6, 8) + x
        s = e.squeeze(1) if e.size(1) == 1 else e[:, 0]           # [B, 6, 8]
        a, b = torch.chunk(s, 2, dim=2)                            # 2 x [B, 6, 4]
        st = torch.stack([a, b * 2.0], dim=1)                      # [B, 2, 6, 4]
        c = torch.cat([a, b, s[:, :, 1:7:2]], dim=2)               # [B, 6, 11]
        sel = x.select(1, 2)[:, 1:4] + x[:, 3, -3:]                # [B, 3, 8]
        gathered = x[:, :, self.idx] + torch.index_select(x, 2, self.idx)  # [B, 4, 4, 8]
        t = x.transpose(2, 3).contiguous().view(B, 4, 48).unsqueeze(-1).squeeze(-1)
        return f, st, c, sel, gathered, t


class OpsReduce(nn.Module):
    """Reductions and normalizations on x: [B, 8, 16]."""

    def __init__(self):
        super().__init__()
        self.gn = nn.GroupNorm(4, 8)
        with torch.no_grad():
            self.gn.weight.copy_(torch.rand(8) + 0.5)
            self.gn.bias.copy_(torch.randn(8) * 0.1)

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:
        amax = torch.amax(x, dim=(1, 2))                           # [B]
        mx, arg = torch.max(x, dim=1)                              # [B, 16] f32, i64
        mn = torch.min(x, dim=-1, keepdim=True)[0]                 # [B, 8, 1]
        sums = x.sum(dim=2, keepdim=True) + x.mean(dim=(1, 2), keepdim=True)
        total = x.sum() + x.mean(dim=-1).sum(dim=0).mean()         # []
        sm = torch.softmax(x, dim=-1) + F.log_softmax(x, dim=1)
        gn = self.gn(x)
        return amax, mx, arg, mn, sums, total, sm, gn


class OpsLinalg(nn.Module):
    """Matrix products and convolution on x: [B, 16] and s: [B, 4, 32]."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(16, 12) * 0.25)
        self.b = nn.Parameter(torch.randn(12) * 0.1)
        self.conv = nn.Conv1d(4, 6, 3, padding=1)
        self.conv_s2 = nn.Conv1d(6, 8, 5, stride=2, bias=False)
        self.drop = nn.Dropout(0.5)

    def forward(self, x: Tensor, s: Tensor) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
        m = torch.matmul(x, self.w) + torch.mm(x, self.w) + x @ self.w
        am = torch.addmm(self.b, x, self.w, beta=0.5, alpha=2.0)
        bm = torch.bmm(s, s.transpose(1, 2))                       # [B, 4, 4]
        bm = bm + torch.baddbmm(bm[:, :1], s, s.transpose(1, 2), beta=0.5, alpha=-1.5)
        c = self.conv_s2(F.relu(self.conv(s)))                     # [B, 8, 14]
        c = F.conv1d(self.drop(c), torch.ones(2, 8, 1) * 0.5)     # [B, 2, 14]
        lin = F.linear(self.drop(x), self.w.t(), self.b)
        return m, am, bm, c, lin


class Spectral(nn.Module):
    """Complex tensors inside: a log power spectrogram of x [B, 64] (stft
    with a Hann window) projected per frame, x's half spectrum scaled by a
    learned gain and transformed back, and the 2-D spectrum of s [B, 4, 8]
    as real pairs."""

    def __init__(self):
        super().__init__()
        self.register_buffer("window", torch.hann_window(16))
        self.gain = nn.Parameter(torch.randn(33) * 0.5)
        self.proj = nn.Linear(9, 4)

    def forward(self, x: Tensor, s: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        spec = torch.stft(x, 16, hop_length=4, window=self.window, return_complex=True)  # [B, 9, 17]
        frames = self.proj(torch.log(spec.abs().pow(2) + 1e-3).transpose(1, 2))        # [B, 17, 4]
        filtered = torch.fft.irfft(torch.fft.rfft(x) * torch.sigmoid(self.gain), n=64)
        return frames, filtered, torch.view_as_real(torch.fft.fft2(s, norm="ortho"))


class Losses(nn.Module):
    """Losses from predictions [B, 10] and int64 targets [B]; cross entropy
    with label smoothing (class weights, an ignored class, class
    probabilities) and the margin, ranking, triplet and Poisson losses in
    the first output, whose gradient is checked."""

    def forward(self, pred: Tensor, target: Tensor) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
        onehot = F.one_hot(target, 10).to(pred.dtype)
        mse = F.mse_loss(torch.sigmoid(pred), onehot)
        ce = F.cross_entropy(pred, target)
        nll = F.nll_loss(F.log_softmax(pred, dim=1), target)
        ce_sum = F.cross_entropy(pred, target, reduction="sum")
        weight = torch.arange(10).float() * 0.1 + 0.5
        smoothed = (F.cross_entropy(pred, target, label_smoothing=0.1)
                    + F.cross_entropy(pred, target, weight=weight, label_smoothing=0.2, ignore_index=3)
                    + F.cross_entropy(pred, torch.softmax(pred * -0.5, 1), label_smoothing=0.3))
        per_sample = F.cross_entropy(pred, target, weight=weight, label_smoothing=0.25, reduction="none")
        # Margin and ranking losses, with targets of +-1 from the classes' parity.
        sign = (target % 2).to(pred.dtype) * 2 - 1
        margins = (F.margin_ranking_loss(pred[:, 0], pred[:, 1], sign, margin=0.2)
                   + F.hinge_embedding_loss(pred, sign.unsqueeze(1).expand(pred.size(0), 10), margin=0.5)
                   + F.soft_margin_loss(pred, sign.unsqueeze(1).expand(pred.size(0), 10))
                   + F.cosine_embedding_loss(pred[:, :5], pred[:, 5:], sign, margin=0.1)
                   + F.triplet_margin_loss(pred[:, :3], pred[:, 3:6], pred[:, 6:9], margin=0.7, swap=True)
                   + F.poisson_nll_loss(pred, onehot * 2, full=True))
        rows = F.triplet_margin_loss(pred[:, :3], pred[:, 3:6], pred[:, 6:9], p=1.0, reduction="none")
        return mse + smoothed + margins, ce, nll, ce_sum, per_sample + rows


class Ctc(nn.Module):
    """The CTC loss of a frame classifier: x [B, 12, 8] through a linear
    layer to log-probabilities [12, B, 6] (blank 0); targets [B, 4] of labels
    1..5, padded; per-sample input lengths in 8..12 and target lengths in
    1..4. Every form sums into the first output, whose gradient is checked:
    nn.CTCLoss (mean), sum and none, the blank last, targets one after
    another (selected by a mask), int32 operands, one sample unbatched, int
    lists for lengths, and inputs too short for their targets with
    zero_infinity."""

    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(8, 6)
        self.ctc = nn.CTCLoss(zero_infinity=True)

    def forward(self, x: Tensor, targets: Tensor, input_lengths: Tensor,
                target_lengths: Tensor) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
        lp = self.proj(x).transpose(0, 1).log_softmax(2)
        mean = self.ctc(lp, targets, input_lengths, target_lengths)
        summed = F.ctc_loss(lp, targets, input_lengths, target_lengths, reduction="sum")
        each = F.ctc_loss(lp, targets, input_lengths, target_lengths, reduction="none")
        blank_last = F.ctc_loss(lp, targets - 1, input_lengths, target_lengths, blank=5, reduction="none")
        kept = torch.arange(targets.size(1)).unsqueeze(0) < target_lengths.unsqueeze(1)
        flat = F.ctc_loss(lp, targets[kept], input_lengths, target_lengths, reduction="none")
        narrow = F.ctc_loss(lp, targets.int(), input_lengths.int(), target_lengths.int(), reduction="none")
        single = F.ctc_loss(lp[:, 0], targets[0, :2], input_lengths[0], torch.tensor(2))
        listed = torch.ctc_loss(lp[:, :2], targets[:2], [12, 10], [2, 3], 0, 2, False)
        short = F.ctc_loss(lp[:3], targets, torch.full_like(input_lengths, 2), target_lengths,
                           reduction="none", zero_infinity=True)
        weights = torch.arange(each.size(0)).to(lp.dtype) * 0.25 + 0.5
        total = (mean + 0.1 * summed + (each * weights).sum() + blank_last.mean() + flat.mean() + narrow.mean()
                 + single + listed + short.sum())
        return total, each, torch.stack([blank_last, flat, narrow, short]), torch.stack([mean, summed, single, listed])


def ctc_inputs(b: int, g: torch.Generator) -> Tuple[Tensor, ...]:
    return (randn(g, b, 12, 8), torch.randint(1, 6, (b, 4), generator=g),
            torch.randint(8, 13, (b,), generator=g), torch.randint(1, 5, (b,), generator=g))


# ---------------------------------------------------------------- double precision


class DoublePrecisionNet(nn.Module):
    """The whole model in f64 (.double()), as scientific code saves it, with
    f64 inputs: convolutions in 1-D, 2-D (padding, stride, dilation, groups)
    and 3-D, a transposed one, batch norm, max, average (ceil_mode, without
    the padding counted, a divisor_override) and adaptive pooling, linear
    layers, every form of matrix product, and tanh, sigmoid, log_softmax,
    expm1 and log (f64 polynomials of wick's own). The first output gathers
    them all, so its gradient reaches every parameter."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.grouped = nn.Conv2d(8, 8, 3, stride=2, padding=2, dilation=2, groups=4)
        self.pool = nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True)
        self.avg = nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)
        self.gap = nn.AdaptiveAvgPool2d(3)
        self.up = nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1, output_padding=1)
        self.conv1 = nn.Conv1d(4, 6, 3, stride=2, padding=1)
        self.conv3 = nn.Conv3d(2, 3, (2, 3, 3), padding=(0, 1, 1))
        self.fc1 = nn.Linear(72, 32)
        self.fc2 = nn.Linear(32, 10)
        self.w = nn.Parameter(torch.randn(6, 5) * 0.3)
        self.b = nn.Parameter(torch.randn(5) * 0.1)
        self.u = nn.Parameter(torch.randn(4))
        self.v = nn.Parameter(torch.randn(6))
        self.big = nn.Parameter(torch.randn(24, 3) * 0.2)

    def forward(self, x: Tensor, y: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        h = F.relu(self.bn(self.conv(x)))                                  # [B, 8, 9, 9]
        logits = self.fc2(F.relu(self.fc1(torch.flatten(self.gap(self.pool(h)), 1))))
        pooled = (self.avg(h).sum(dim=(2, 3)) + F.avg_pool2d(h, 2, divisor_override=3).mean(dim=(2, 3))
                  + self.grouped(h).mean(dim=(2, 3)))                      # [B, 8]
        up = self.up(h)                                                    # [B, 4, 18, 18]
        seq = self.conv1(y)                                                # [B, 6, 3]
        vol = self.conv3(x[:, :2].reshape(x.size(0), 2, 3, 3, 9))         # [B, 3, 2, 3, 9]
        products = torch.cat([
            torch.bmm(y, y.transpose(1, 2)).mean(-1),                      # [B, 4]
            torch.matmul(y, self.w).mean(1),                               # [B, 5]
            torch.matmul(y, self.v),                                       # [B, 4]
            torch.matmul(self.u, y) + torch.matmul(self.u, self.u),        # [B, 6]
            torch.addmm(self.b, y[:, 0], self.w, beta=0.5, alpha=2.0),    # [B, 5]
            torch.mm(y.flatten(1), self.big)], 1)                          # [B, 3]
        smooth = torch.cat([torch.tanh(logits), torch.sigmoid(pooled), F.log_softmax(logits, 1),
                            torch.expm1(0.1 * products), torch.log(pooled.abs() + 1e-3)], 1)
        features = torch.cat([logits, pooled, up.mean(dim=(2, 3)), seq.mean(2), vol.mean(dim=(2, 3, 4)), products,
                              smooth], 1)
        return features, up, vol


def double_precision_inputs(b: int, g: torch.Generator) -> Tuple[Tensor, ...]:
    return randn(g, b, 3, 9, 9).double(), randn(g, b, 4, 6).double()


# ---------------------------------------------------------------- registry


MODELS = {
    "mlp_relu": ModelSpec(
        mlp_relu, lambda b, g: (randn(g, b, 32),), batch=16, seed=1),
    "nn5": ModelSpec(
        nn5, lambda b, g: (randn(g, b, 14),), batch=200, seed=2),
    "cnn_bn": ModelSpec(
        CnnBn, lambda b, g: (randn(g, b, 3, 32, 32),), batch=4, seed=3),
    "resnet18": ModelSpec(
        resnet18, lambda b, g: (randn(g, b, 3, 224, 224),), batch=1, seed=4),
    "mobilenet_v2": ModelSpec(
        mobilenet_v2, lambda b, g: (randn(g, b, 3, 224, 224),), batch=1, seed=5),
    "transformer_block": ModelSpec(
        TransformerBlock, lambda b, g: (randn(g, b, 64, 256),), batch=8, seed=6),
    "attention_layers": ModelSpec(
        AttentionLayers, lambda b, g: (randn(g, b, 10, 32),), batch=3, seed=16,
        note="nn.MultiheadAttention and nn.TransformerEncoderLayer on their fused fast path"),
    "attention_masks": ModelSpec(
        AttentionMasks, attention_masks_inputs, batch=3, seed=17,
        note="cross-attention, boolean and float masks, padding masks: the slow path of nn.MultiheadAttention"),
    "transformer": ModelSpec(
        transformer, transformer_inputs, batch=3, seed=18,
        note="nn.Transformer itself: src_mask given, the other masks left out"),
    "multihead_attention": ModelSpec(
        multihead_attention, lambda b, g: (randn(g, b, 5, 32), randn(g, b, 7, 32), randn(g, b, 7, 32)),
        batch=3, seed=19, note="nn.MultiheadAttention itself: query, key, value; defaults for the rest"),
    "recurrent": ModelSpec(
        Recurrent, lambda b, g: (randn(g, b, 7, 8), randn(g, 2, b, 16)), batch=3, seed=20,
        note="nn.LSTM, nn.GRU (bidirectional), nn.RNN (relu and tanh), unrolled over 7 steps"),
    "ops_extra": ModelSpec(
        OpsExtra, lambda b, g: (randn(g, b, 4, 6, 8), randn(g, b, 4, 10)), batch=3, seed=21,
        note="activations, 1-D pooling, statistics, padding and rearranging, instance norm, upsampling"),
    "resampling": ModelSpec(
        Resampling, lambda b, g: (randn(g, b, 3, 5, 6), randn(g, b, 2, 3, 4, 5), randn(g, b, 4, 7)), batch=2, seed=32,
        note="F.interpolate: linear, bicubic, trilinear, nearest in 3-D, nearest-exact"),
    "scatter_reduce": ModelSpec(
        ScatterReduce, scatter_reduce_inputs, batch=2, seed=33,
        note="scatter_reduce in every mode, scatter with reduce, index_reduce"),
    "pool_indices": ModelSpec(
        PoolIndices, pool_indices_inputs, batch=2, seed=34,
        note="max pooling with indices (1-D, 2-D, 3-D, adaptive), max_unpool"),
    "masks": ModelSpec(
        Masks, masks_inputs, batch=2, seed=35,
        note="boolean-mask indexing, masked_select, nonzero, argwhere, where(condition), masked_scatter, unique: sizes the data decides"),
    "sampling_grids": ModelSpec(
        SamplingGrids, sampling_grids_inputs, batch=2, seed=36,
        note="F.affine_grid and F.grid_sample (bilinear, nearest, bicubic; zeros, border, reflection) in 2-D and 3-D; "
             "F.unfold, F.fold"),
    "ops_special": ModelSpec(
        OpsSpecial, lambda b, g: (randn(g, b, 5, 6), torch.rand(b, 5, 6, generator=g)), batch=3, seed=38,
        note="lgamma, digamma, zeta, polygamma, ndtri, erfinv, erfc, i0, frexp, matrix norms, pdist, block_diag, vander, margin losses, "
             "Bessel functions, orthogonal polynomials, incomplete gamma"),
    "ops_select": ModelSpec(
        OpsSelect, lambda b, g: (randn(g, b, 5, 7), randn(g, b, 5, 7)), batch=3, seed=39,
        note="kthvalue, median, quantile, mode, bucketize, searchsorted, histc, index_copy, index_fill, take, put"),
    "bfloat16": ModelSpec(
        lambda: ReducedPrecisionNet().to(torch.bfloat16), reduced_precision_inputs, batch=2, seed=40,
        note="bf16 weights and activations: convolution, pooling, linear, normalization, softmax, bmm"),
    "float16": ModelSpec(
        lambda: ReducedPrecisionNet().to(torch.float16), reduced_precision_inputs, batch=2, seed=41,
        variants=("scripted",),
        note="the same in f16; LibTorch's side runs converted to f32, as its CPU kernels lack f16 (so no trace)"),
    "float64": ModelSpec(
        lambda: DoublePrecisionNet().double(), double_precision_inputs, batch=2, seed=42,
        note="f64 weights and inputs: convolutions (1-D, 2-D, 3-D, transposed), pooling, linear, matrix products"),
    "ops_conveniences": ModelSpec(
        OpsConveniences, lambda b, g: (randn(g, b, 4, 6), randn(g, b, 4, 7)), batch=3, seed=43,
        note="nn.Bilinear, view_as, unfold, diag_embed, fmax, cov, corrcoef, trapezoid, dist, isin, 3-D padding, hsplit"),
    "quantized_dynamic": ModelSpec(
        quantized_dynamic, lambda b, g: (randn(g, b, 5, 16),), batch=3, seed=45,
        note="torch.quantization.quantize_dynamic: int8 Linear per tensor and per channel, a fused LinearReLU; "
             "inputs quantized per call"),
    "quantized_recurrent": ModelSpec(
        quantized_recurrent, lambda b, g: (randn(g, b, 6, 16),), batch=3, seed=46,
        note="torch.quantization.quantize_dynamic of an LSTM (two layers, both directions), a GRU cell and a "
             "Linear: products quantized per call, unrolled over the sequence"),
    "ops_more": ModelSpec(
        OpsMore, lambda b, g: (randn(g, b, 4, 5), randn(g, b, 4, 5)), batch=3, seed=37,
        note="logaddexp, hypot, copysign, sinc, isclose, nansum, count_nonzero, aminmax, cdist, stacks, diagonals, traces"),
    "ops_math": ModelSpec(
        OpsMath, lambda b, g: (randn(g, b, 4, 6), randn(g, b, 4, 6)), batch=3, seed=26,
        note="more elementwise math, argmin/prod/any/all, statistics with the mean, rearranging ops"),
    "cells_distances": ModelSpec(
        CellsAndDistances, lambda b, g: (randn(g, b, 5, 8), randn(g, b, 8)), batch=3, seed=27,
        note="recurrent cells stepped in a loop, similarities, distances, BCE on probabilities, KL divergence"),
    "ops_sort": ModelSpec(
        OpsSort, lambda b, g: (randn(g, b, 5, 7),), batch=3, seed=29,
        note="sort, argsort, msort, topk; a stable sort of integers with ties"),
    "embedding_bags": ModelSpec(
        EmbeddingBags, embedding_bag_inputs, batch=4, seed=31,
        note="nn.EmbeddingBag: sum with per-sample weights, mean with padding, max with include_last_offset"),
    "ops_scans_bits": ModelSpec(
        OpsScansBits, lambda b, g: (randn(g, b, 5, 6),), batch=3, seed=30,
        note="cumprod, logcumsumexp, cummax, cummin; bitwise ops and shifts on integers and bools"),
    "volumes": ModelSpec(
        Volumes, lambda b, g: (randn(g, b, 3, 6, 10, 12),), batch=2, seed=28,
        note="3-D convolution and pooling, adaptive max pooling in 1-D, 2-D and 3-D"),
    "dense_block": ModelSpec(
        DenseBlock, lambda b, g: (randn(g, b, 4, 8, 8),), batch=2, seed=22, variants=("scripted",),
        note="a list appended to after each use, a NamedTuple output with a None field"),
    "dict_model": ModelSpec(
        DictModel, lambda b, g: (randn(g, b, 3, 8, 8),), batch=2, seed=23, variants=("scripted",),
        note="a dict attribute, a dict of features passed to a head, a dict returned"),
    "writes": ModelSpec(
        Writes, lambda b, g: (randn(g, b, 6, 8),), batch=3, seed=24,
        note="writes into views: slice and item assignment, in-place ops, a boolean mask, Swin's window mask"),
    "writes_loops": ModelSpec(
        WritesInLoops, lambda b, g: (randn(g, b, 5, 4),), batch=3, seed=25, variants=("scripted",),
        note="writes in for and while loops, through a view from before the loop, by a called function"),
    "control_flow": ModelSpec(
        ControlFlow, control_flow_inputs, batch=4, seed=7, variants=("scripted",),
        note="inputs: x sums > 0, y sums < 0, so both branches of gate() run"),
    "two_inputs_tuple": ModelSpec(
        TwoInputsTuple, lambda b, g: (randn(g, b, 8), randn(g, b, 8)), batch=4, seed=8),
    "nested_tuple": ModelSpec(
        NestedTuple, lambda b, g: (randn(g, b, 8), randn(g, b, 8)), batch=4, seed=9),
    "embedding_max_norm": ModelSpec(
        EmbeddingMaxNorm, lambda b, g: (torch.randint(0, 50, (b, 6), generator=g),), batch=4, seed=44,
        variants=("traced",),
        note="nn.Embedding(max_norm=1.5): rows renormalized when looked up (a script drops the renorm, so no script)"),
    "embedding_classifier": ModelSpec(
        EmbeddingClassifier,
        lambda b, g: (torch.randint(0, 1000, (b, 16), generator=g),), batch=8, seed=10),
    "ops_pointwise": ModelSpec(
        OpsPointwise, lambda b, g: (randn(g, b, 16), randn(g, b, 16)), batch=4, seed=11),
    "ops_shape": ModelSpec(
        OpsShape, lambda b, g: (randn(g, b, 4, 6, 8),), batch=3, seed=12),
    "ops_reduce": ModelSpec(
        OpsReduce, lambda b, g: (randn(g, b, 8, 16),), batch=4, seed=13),
    "ops_linalg": ModelSpec(
        OpsLinalg, lambda b, g: (randn(g, b, 16), randn(g, b, 4, 32)), batch=4, seed=14),
    "spectral": ModelSpec(
        Spectral, lambda b, g: (randn(g, b, 64), randn(g, b, 4, 8)), batch=3, seed=43,
        note="stft, rfft with a learned gain, irfft, fft2: complex tensors inside"),
    "losses": ModelSpec(
        Losses,
        lambda b, g: (randn(g, b, 10), torch.randint(0, 10, (b,), generator=g)),
        batch=6, seed=15),
    "ctc": ModelSpec(Ctc, ctc_inputs, batch=4, seed=47, note="ctc_loss in every form, and its gradient"),
}

assert all(v in ("scripted", "traced") for s in MODELS.values() for v in s.variants)
