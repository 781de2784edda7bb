"""Benchmark-only models, kept out of the test zoo so the tests stay fast.

Two memory-bandwidth benchmarks over one large float32 tensor:
    pointwise_chain  ((x * 1.5 + 0.5).relu() * x - 0.25).sigmoid():
                     exactly six pointwise ops, one read and one write of x
                     when they are fused
    copy             x.clone(): the plain copy the chain is measured against

write_models(DIR) saves both, scripted, as DIR/<name>.pt.

Two row reductions for the GPU benchmark (bench/gpu_bundle.py), over
[ROWS, n] float32 for n in ROW_SIZES:
    softmax_rows     torch.softmax(x, -1)
    layer_norm_rows  nn.LayerNorm(n) (its weight ones and bias zeros, as made)

write_row_models(DIR) saves them, scripted, as DIR/<name>_<n>.pt.

Two of torchvision's video classifiers (random weights, eval mode), over
one clip [1, 3, 16, 112, 112]:
    r3d_18           ResNet-18 with 3x3x3 convolutions
    r2plus1d_18      the same with each split into 1x3x3 and 3x1x1

write_video_models(DIR) saves them, scripted, as DIR/<name>.pt.

One image generator, DCGAN's (Radford et al.), eval mode, seeded weights:
    dcgan_generator  a latent [8, 100, 1, 1] to [8, 3, 64, 64] through five
                     transposed convolutions (4x4, stride 2 after the first),
                     batch norm and ReLU, tanh at the end

write_generator_models(DIR) saves it, scripted, as DIR/dcgan_generator.pt.

One text tagger over packed sequences, eval mode, seeded weights:
    packed_lstm      token ids [16, 40] (a vocabulary of 1000) embedded in 64
                     dims, packed by their lengths (unsorted, from 10 to 40),
                     through a bidirectional nn.LSTM of 128 and padded back;
                     a linear layer to 10 tags per step

write_packed_models(DIR) saves it, scripted, as DIR/packed_lstm.pt, with its
inputs DIR/packed_lstm_tokens.npy and DIR/packed_lstm_lengths.npy.

Models in bfloat16, called with float32 and returning float32:
    transformer_block_bf16  the zoo's transformer block (batch 8, seq 64,
                            d 256, 4 heads) converted to bfloat16
    resnet18_bf16           the zoo's ResNet-18 (batch 1, 224x224)
                            converted to bfloat16

write_bfloat16_models(DIR, NAMES) saves them, scripted, as DIR/NAME.pt.

Models in float64 (`.double()`), called with float64 inputs:
    nn5_f64     the zoo's NN5 MLP (14 -> 32 -> 32 -> 32 -> 1, tanh), batch 200
    cnn_bn_f64  the zoo's CNN with batch norm, batch 4, 3x32x32
    transformer_block_f64  the zoo's transformer block, batch 8, seq 64, d 256

write_double_models(DIR) saves them, scripted, as DIR/NAME.pt with their
inputs DIR/NAME_x.npy.

One batch of Gaussian log-likelihoods, as Gaussian-process and
variational models compute them, in float32:
    gaussian_loglik  covariances K = X X^T / 16 + I from X [256, 16, 16],
                     their Cholesky factors L, z = L^-1 y for y [256, 16],
                     and -|z|^2 / 2 - log det L

write_linalg_models(DIR) saves it, scripted, as DIR/gaussian_loglik.pt.

Two models with complex tensors inside, in float32:
    log_mel          the log-mel spectrogram of 8 one-second clips at
                     16 kHz: stft (n_fft 400, hop 160, Hann window), power,
                     80 triangular mel filters, log
    fourier_layer    a Fourier neural operator layer on [8, 32, 64, 64]:
                     rfft2, 12x12 modes at each end of the first transformed
                     dim mixed by complex weights (einsum), irfft2

write_spectral_models(DIR) saves them, scripted, as DIR/NAME.pt.
"""

import os
import sys

import torch

Tensor = torch.Tensor

# 16M float32 elements: 64 MiB, far larger than any cache.
BANDWIDTH_ELEMENTS = 16 * 1024 * 1024


class PointwiseChain(torch.nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        return ((x * 1.5 + 0.5).relu() * x - 0.25).sigmoid()


class Copy(torch.nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        return x.clone()


BANDWIDTH_MODELS = {
    "pointwise_chain": PointwiseChain,
    "copy": Copy,
}


def save_module(module: torch.jit.ScriptModule, path: str) -> None:
    """Saves `module` at `path` through a temporary file, so that a
    half-written model never stands at `path`."""
    tmp = f"{path}.tmp{os.getpid()}"
    torch.jit.save(module, tmp)
    os.replace(tmp, path)


def bandwidth_bytes(name: str) -> int:
    """Bytes a call must move at least: x read once, the result written once."""
    assert name in BANDWIDTH_MODELS
    return 2 * 4 * BANDWIDTH_ELEMENTS


def write_models(out_dir: str) -> dict:
    """Saves every benchmark model under out_dir; returns name -> path."""
    os.makedirs(out_dir, exist_ok=True)
    paths = {}
    for name, cls in BANDWIDTH_MODELS.items():
        path = os.path.join(out_dir, f"{name}.pt")
        module = torch.jit.script(cls().eval())
        # Checked against eager on a small input before it counts.
        x = torch.randn(1000)
        torch.testing.assert_close(module(x), cls()(x))
        save_module(module, path)
        paths[name] = path
    return paths


ROWS = 16384
ROW_SIZES = (1024, 2048, 4096, 8192, 16384, 32768, 65536)


class SoftmaxRows(torch.nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        return torch.softmax(x, -1)


def row_models(n: int) -> dict:
    """name -> module over rows of n elements."""
    return {"softmax_rows": SoftmaxRows(), "layer_norm_rows": torch.nn.LayerNorm(n)}


def row_bytes(n: int) -> int:
    """Bytes a row-reduction call must move at least: x read once, the result written once."""
    return 2 * 4 * ROWS * n


def write_row_models(out_dir: str, sizes=ROW_SIZES) -> dict:
    """Saves every row model for every n in sizes; returns (name, n) -> path."""
    os.makedirs(out_dir, exist_ok=True)
    paths = {}
    for n in sizes:
        for name, module in row_models(n).items():
            path = os.path.join(out_dir, f"{name}_{n}.pt")
            scripted = torch.jit.script(module.eval())
            x = torch.randn(3, n)
            torch.testing.assert_close(scripted(x), module(x))
            save_module(scripted, path)
            paths[(name, n)] = path
    return paths


VIDEO_CLIP = (1, 3, 16, 112, 112)


def video_models() -> dict:
    """name -> torchvision video classifier, seeded random weights, eval mode."""
    import torchvision.models.video as video

    torch.manual_seed(0)
    return {"r3d_18": video.r3d_18().eval(), "r2plus1d_18": video.r2plus1d_18().eval()}


def write_video_models(out_dir: str, names) -> dict:
    """Saves the named video models; returns name -> path."""
    os.makedirs(out_dir, exist_ok=True)
    paths = {}
    for name, module in video_models().items():
        if name not in names:
            continue
        path = os.path.join(out_dir, f"{name}.pt")
        scripted = torch.jit.script(module)
        save_module(scripted, path)
        paths[name] = path
    return paths


GENERATOR_LATENT = (8, 100, 1, 1)


class DcganGenerator(torch.nn.Module):
    def __init__(self, latent: int = 100, width: int = 64, channels: int = 3):
        super().__init__()
        nn = torch.nn
        layers = []
        widths = [latent, width * 8, width * 4, width * 2, width]
        for i in range(4):
            stride, padding = (1, 0) if i == 0 else (2, 1)
            layers += [nn.ConvTranspose2d(widths[i], widths[i + 1], 4, stride, padding, bias=False),
                       nn.BatchNorm2d(widths[i + 1]), nn.ReLU(True)]
        layers += [nn.ConvTranspose2d(width, channels, 4, 2, 1, bias=False), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z)


def write_generator_models(out_dir: str) -> dict:
    """Saves the generator with batch statistics that are not the identity;
    returns name -> path."""
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(0)
    module = DcganGenerator()
    for m in module.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
    module.eval()
    path = os.path.join(out_dir, "dcgan_generator.pt")
    scripted = torch.jit.script(module)
    save_module(scripted, path)
    return {"dcgan_generator": path}


class RecurrentEncoder(torch.nn.Module):
    """A two-layer nn.LSTM of 256 whose output sequence is the result."""

    def __init__(self):
        super().__init__()
        self.lstm = torch.nn.LSTM(128, 256, num_layers=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.lstm(x)[0]


QUANTIZED_FFN_INPUT = (128, 768)
QUANTIZED_LSTM_INPUT = (32, 16, 128)  # steps, batch, features
QUANTIZED_MODELS = ("quantized_ffn", "quantized_lstm")


def write_quantized_models(out_dir: str, names) -> dict:
    """As torch.quantization.quantize_dynamic makes them (int8 weights; each
    product quantizes its input to uint8 per call): a transformer's
    feed-forward block, 768 -> 3072 -> GELU -> 768, and a two-layer LSTM of
    256 over 32 steps. Returns name -> (path, [inputs])."""
    import torch.ao.quantization as quantization

    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(0)
    blocks = {
        "quantized_ffn": (lambda: torch.nn.Sequential(torch.nn.Linear(768, 3072), torch.nn.GELU(),
                                                      torch.nn.Linear(3072, 768)), QUANTIZED_FFN_INPUT),
        "quantized_lstm": (RecurrentEncoder, QUANTIZED_LSTM_INPUT),
    }
    out = {}
    for name in names:
        make, shape = blocks[name]
        quantized = quantization.quantize_dynamic(make().eval(), dtype=torch.qint8)
        path = os.path.join(out_dir, f"{name}.pt")
        save_module(torch.jit.script(quantized), path)
        out[name] = (path, ["x".join(str(d) for d in shape)])
    return out


STATIC_QUANTIZED_MODELS = {"resnet18_int8": "resnet18", "mobilenet_v2_int8": "mobilenet_v2"}
STATIC_QUANTIZED_INPUT = (1, 3, 224, 224)


def write_static_quantized_models(out_dir: str, names) -> dict:
    """torchvision's quantizable classifiers `names` (of
    STATIC_QUANTIZED_MODELS) as eager-mode static quantization makes them
    with the onednn configuration: random weights, batch norms given the
    statistics of random images first (so that activations keep a spread),
    fused, calibrated on random images, converted, scripted. Returns
    name -> (path, [input spec])."""
    import torch.ao.quantization as quantization
    import torchvision.models.quantization as quantizable

    os.makedirs(out_dir, exist_ok=True)
    torch.backends.quantized.engine = "onednn"
    out = {}
    for name in names:
        torch.manual_seed(0)
        model = getattr(quantizable, STATIC_QUANTIZED_MODELS[name])(weights=None, quantize=False)
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.momentum = None  # a plain average of the batches seen
        model.train()
        with torch.no_grad():
            for _ in range(2):
                model(torch.randn(4, *STATIC_QUANTIZED_INPUT[1:]))
        model.eval()
        model.fuse_model()
        model.qconfig = quantization.get_default_qconfig("onednn")
        quantization.prepare(model, inplace=True)
        with torch.no_grad():
            for _ in range(2):
                model(torch.randn(2, *STATIC_QUANTIZED_INPUT[1:]))
        quantization.convert(model, inplace=True)
        path = os.path.join(out_dir, f"{name}.pt")
        save_module(torch.jit.script(model), path)
        out[name] = (path, ["x".join(str(d) for d in STATIC_QUANTIZED_INPUT)])
    return out


PACKED_BATCH, PACKED_STEPS = 16, 40


class PackedTagger(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Embedding(1000, 64)
        self.lstm = torch.nn.LSTM(64, 128, batch_first=True, bidirectional=True)
        self.tags = torch.nn.Linear(256, 10)

    def forward(self, tokens: Tensor, lengths: Tensor) -> Tensor:
        rnn = torch.nn.utils.rnn
        packed = rnn.pack_padded_sequence(self.embed(tokens), lengths, batch_first=True, enforce_sorted=False)
        out, _ = self.lstm(packed)
        y, _ = rnn.pad_packed_sequence(out, batch_first=True)
        return self.tags(y)


def write_packed_models(out_dir: str) -> dict:
    """Saves the tagger and its inputs; returns name -> (path, [inputs])."""
    import numpy as np

    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(0)
    path = os.path.join(out_dir, "packed_lstm.pt")
    save_module(torch.jit.script(PackedTagger().eval()), path)
    tokens = torch.randint(0, 1000, (PACKED_BATCH, PACKED_STEPS))
    lengths = torch.randint(10, PACKED_STEPS + 1, (PACKED_BATCH,))
    lengths[PACKED_BATCH // 2] = PACKED_STEPS  # the batch is padded to its longest sequence
    inputs = []
    for name, t in (("tokens", tokens), ("lengths", lengths)):
        inputs.append(os.path.join(out_dir, f"packed_lstm_{name}.npy"))
        np.save(inputs[-1], t.numpy())
    return {"packed_lstm": (path, inputs)}


GRID_SAMPLE_INPUT, GRID_SAMPLE_GRID = (16, 3, 64, 64), (16, 64, 64, 2)
RAFT_IMAGE = (1, 3, 128, 128)


class GridSample(torch.nn.Module):
    def forward(self, x: Tensor, grid: Tensor) -> Tensor:
        return torch.nn.functional.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def write_sampling_models(out_dir: str, names) -> dict:
    """Saves grid_sample (bilinear, a grid a little wider than the input)
    and torchvision's RAFT-small, with their inputs; returns name -> (path,
    [inputs])."""
    import numpy as np
    import torchvision

    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(0)
    out = {}
    for name in names:
        if name == "grid_sample":
            module = GridSample()
            inputs = [("x", torch.randn(GRID_SAMPLE_INPUT)), ("grid", torch.rand(GRID_SAMPLE_GRID) * 2.2 - 1.1)]
        else:
            module = torchvision.models.optical_flow.raft_small(weights=None).eval()
            inputs = [("image1", torch.randn(RAFT_IMAGE)), ("image2", torch.randn(RAFT_IMAGE))]
        path = os.path.join(out_dir, f"{name}.pt")
        save_module(torch.jit.script(module), path)
        files = []
        for input_name, t in inputs:
            files.append(os.path.join(out_dir, f"{name}_{input_name}.npy"))
            np.save(files[-1], t.numpy())
        out[name] = (path, files)
    return out


TRANSFORMER_BLOCK_INPUT = (8, 64, 256)


class Bfloat16(torch.nn.Module):
    """`inner` converted to bfloat16, behind float32 inputs and outputs."""

    def __init__(self, inner: torch.nn.Module):
        super().__init__()
        self.inner = inner.to(torch.bfloat16)

    def forward(self, x: Tensor) -> Tensor:
        return self.inner(x.to(torch.bfloat16)).float()


BFLOAT16_MODELS = {"transformer_block_bf16": ("transformer_block", TRANSFORMER_BLOCK_INPUT),
                   "resnet18_bf16": ("resnet18", (1, 3, 224, 224))}


def write_bfloat16_models(out_dir: str, names) -> dict:
    """Saves the bfloat16 models `names` (of BFLOAT16_MODELS) behind float32
    inputs; returns name -> (path, [input spec])."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "models"))
    import zoo

    os.makedirs(out_dir, exist_ok=True)
    out = {}
    for name in names:
        zoo_name, shape = BFLOAT16_MODELS[name]
        torch.manual_seed(0)
        module = Bfloat16(zoo.build_model(zoo_name)).eval()
        path = os.path.join(out_dir, f"{name}.pt")
        save_module(torch.jit.script(module), path)
        out[name] = (path, ["x".join(str(d) for d in shape)])
    return out


DOUBLE_MODELS = {"nn5_f64": ("nn5", (200, 14)), "cnn_bn_f64": ("cnn_bn", (4, 3, 32, 32)),
                 "transformer_block_f64": ("transformer_block", TRANSFORMER_BLOCK_INPUT)}


def write_double_models(out_dir: str, names) -> dict:
    """Saves the float64 models `names`; returns name -> (path, [input file])."""
    import numpy as np

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "models"))
    import zoo

    os.makedirs(out_dir, exist_ok=True)
    out = {}
    for name in names:
        zoo_name, shape = DOUBLE_MODELS[name]
        module = zoo.build_model(zoo_name).double().eval()
        path = os.path.join(out_dir, f"{name}.pt")
        save_module(torch.jit.script(module), path)
        x = os.path.join(out_dir, f"{name}_x.npy")
        np.save(x, torch.randn(*shape, generator=torch.Generator().manual_seed(0), dtype=torch.float64).numpy())
        out[name] = (path, [x])
    return out


LINALG_BATCH, LINALG_SIZE = 256, 16


class GaussianLogLikelihood(torch.nn.Module):
    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        k = x @ x.transpose(-2, -1) / x.size(-1) + torch.eye(x.size(-1))
        lower = torch.linalg.cholesky(k)
        z = torch.linalg.solve_triangular(lower, y.unsqueeze(-1), upper=False).squeeze(-1)
        return -0.5 * (z * z).sum(-1) - torch.log(torch.diagonal(lower, dim1=-2, dim2=-1)).sum(-1)


def write_linalg_models(out_dir: str) -> dict:
    """Saves gaussian_loglik; returns name -> (path, [input specs])."""
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "gaussian_loglik.pt")
    save_module(torch.jit.script(GaussianLogLikelihood()), path)
    return {"gaussian_loglik": (path, [f"{LINALG_BATCH}x{LINALG_SIZE}x{LINALG_SIZE}", f"{LINALG_BATCH}x{LINALG_SIZE}"])}


AUDIO_CLIPS, AUDIO_SAMPLES, N_FFT, HOP, MELS = 8, 16000, 400, 160, 80
FIELD = (8, 32, 64, 64)


def mel_filters(bins: int, mels: int, rate: float = 16000.0) -> Tensor:
    """Triangular filters evenly spaced on the mel scale, [bins, mels]."""
    def to_mel(f):
        return 2595.0 * torch.log10(1.0 + f / 700.0)

    def to_hz(m):
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)

    edges = to_hz(torch.linspace(0.0, float(to_mel(torch.tensor(rate / 2))), mels + 2))
    freqs = torch.linspace(0.0, rate / 2, bins).unsqueeze(1)
    rising = (freqs - edges[:-2]) / (edges[1:-1] - edges[:-2])
    falling = (edges[2:] - freqs) / (edges[2:] - edges[1:-1])
    return torch.clamp(torch.minimum(rising, falling), min=0.0)


class LogMel(torch.nn.Module):
    # n_fft 400 and hop 160 (N_FFT, HOP) written out: TorchScript reads no globals.
    def __init__(self):
        super().__init__()
        self.register_buffer("window", torch.hann_window(N_FFT))
        self.register_buffer("filters", mel_filters(N_FFT // 2 + 1, MELS))

    def forward(self, audio: Tensor) -> Tensor:
        spec = torch.stft(audio, 400, hop_length=160, window=self.window, return_complex=True)
        power = spec.abs().pow(2)
        return torch.log(torch.matmul(power.transpose(1, 2), self.filters) + 1e-6)


class FourierLayer(torch.nn.Module):
    def __init__(self, channels: int = 32, modes: int = 12):
        super().__init__()
        self.modes = modes
        g = torch.Generator().manual_seed(0)
        scale = 1.0 / (channels * channels)
        self.low = torch.nn.Parameter(scale * torch.rand(channels, channels, modes, modes, dtype=torch.cfloat, generator=g))
        self.high = torch.nn.Parameter(scale * torch.rand(channels, channels, modes, modes, dtype=torch.cfloat, generator=g))

    def forward(self, x: Tensor) -> Tensor:
        b, c, h, w = x.shape
        m = self.modes
        x_ft = torch.fft.rfft2(x)
        out = torch.zeros(b, c, h, w // 2 + 1, dtype=torch.cfloat)
        out[:, :, :m, :m] = torch.einsum("bixy,ioxy->boxy", x_ft[:, :, :m, :m], self.low)
        out[:, :, -m:, :m] = torch.einsum("bixy,ioxy->boxy", x_ft[:, :, -m:, :m], self.high)
        return torch.fft.irfft2(out, s=(h, w))


def write_spectral_models(out_dir: str, names) -> dict:
    """Saves log_mel and fourier_layer among `names`; returns name -> (path, [input specs])."""
    os.makedirs(out_dir, exist_ok=True)
    made = {"log_mel": (LogMel, [f"{AUDIO_CLIPS}x{AUDIO_SAMPLES}"]),
            "fourier_layer": (FourierLayer, ["x".join(str(d) for d in FIELD)])}
    out = {}
    for name in names:
        make, inputs = made[name]
        path = os.path.join(out_dir, f"{name}.pt")
        save_module(torch.jit.script(make().eval()), path)
        out[name] = (path, inputs)
    return out
