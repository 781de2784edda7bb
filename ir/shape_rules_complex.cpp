// Type rules of complex tensors (ir/ops_complex.cpp): their parts, views as
// real pairs, torch.fft's transforms and the short-time Fourier transform.
#include <cmath>
#include <string>

#include "ir/constant_value.h"
#include "ir/fft_signal.h"
#include "ir/op_table.h"
#include "ir/shape_rules.h"

namespace wick::ir {

double FftSignal::scale() const {
  double n = 1;
  for (int64_t l : lengths) n *= static_cast<double>(l);
  if (norm == "ortho") return 1 / std::sqrt(n);
  const bool divides = inverse ? norm == "backward" : norm == "forward";
  return divides ? 1 / n : 1;
}

bool is_fft_transform(const std::string& kind) {
  static const char* const kTransforms[] = {
      "aten::fft_fft",  "aten::fft_ifft",  "aten::fft_rfft",  "aten::fft_irfft",  "aten::fft_hfft", "aten::fft_ihfft",
      "aten::fft_fft2", "aten::fft_ifft2", "aten::fft_rfft2", "aten::fft_irfft2", "aten::fft_fftn", "aten::fft_ifftn",
      "aten::fft_rfftn", "aten::fft_irfftn"};
  for (const char* k : kTransforms)
    if (kind == k) return true;
  return false;
}

namespace {

bool ends_with(const std::string& s, const char* suffix) {
  const std::string x = suffix;
  return s.size() >= x.size() && s.compare(s.size() - x.size(), x.size(), x) == 0;
}

// The op's base name: "fft", "irfft", ... without its 2 or n.
std::string base_name(const Node& node) {
  std::string name = node.kind().substr(std::string("aten::fft_").size());
  if (ends_with(name, "2") || ends_with(name, "n")) name.pop_back();
  return name;
}

}  // namespace

std::optional<FftSignal> fft_signal(const Node& node) {
  const std::string name = node.kind().substr(std::string("aten::fft_").size());
  const std::string base = base_name(node);
  const bool one_dim = !ends_with(name, "2") && !ends_with(name, "n");
  FftSignal sig;
  sig.domain = base == "rfft" || base == "ihfft" ? FftDomain::r2c
               : base == "irfft" || base == "hfft" ? FftDomain::c2r
                                                   : FftDomain::c2c;
  sig.inverse = base == "ifft" || base == "irfft" || base == "ihfft";
  if (!is_none(node.input(3))) {
    const AttrValue* a = constant_attr(node.input(3));
    const std::string* s = a ? std::get_if<std::string>(a) : nullptr;
    if (!s) throw node.error("the norm of " + node.kind() + " must be a constant string");
    if (*s != "backward" && *s != "ortho" && *s != "forward")
      throw node.error("invalid normalization mode \"" + *s + "\": expected \"backward\", \"ortho\" or \"forward\"");
    sig.norm = *s;
  }
  const Type& x = shape::input_type(node, 0);
  if (x.dtype()) {
    if (sig.domain == FftDomain::r2c && is_complex(*x.dtype()))
      throw node.error(node.kind() + " expects a real input tensor, got " + std::string(dtype_name(*x.dtype())));
  }
  if (!x.has_rank()) return std::nullopt;
  const int64_t rank = x.rank();
  const auto& shape = *x.shape();

  // Requested lengths (-1: the input's) and dims, as torch reads them.
  std::optional<std::vector<int64_t>> s, dims;
  if (one_dim) {
    if (!is_none(node.input(1))) {
      auto n = constant_int(node.input(1));
      if (!n) return std::nullopt;  // known once folded, or an error where the transform is computed
      s = std::vector<int64_t>{*n};
    }
    auto d = constant_int(node.input(2));
    if (!d) return std::nullopt;
    dims = std::vector<int64_t>{*d};
  } else {
    if (!is_none(node.input(1))) {
      s = constant_int_list(node.input(1));
      if (!s) return std::nullopt;
    }
    if (!is_none(node.input(2))) {
      dims = constant_int_list(node.input(2));
      if (!dims) return std::nullopt;
    }
  }
  if (rank == 0) throw node.error(node.kind() + " of a zero-dim tensor");
  if (!dims) {
    const int64_t k = s ? static_cast<int64_t>(s->size()) : rank;
    if (k > rank) throw node.error("got " + std::to_string(k) + " signal sizes for a tensor of rank " + std::to_string(rank));
    dims.emplace();
    for (int64_t d = rank - k; d < rank; ++d) dims->push_back(d);
  }
  if (s && s->size() != dims->size())
    throw node.error("the signal sizes s and the dims of " + node.kind() + " differ in length (" +
                     std::to_string(s->size()) + " and " + std::to_string(dims->size()) + ")");
  if (dims->empty()) throw node.error(node.kind() + " over no dims");
  for (size_t i = 0; i < dims->size(); ++i) {
    const int64_t d = shape::normalize_dim(node, (*dims)[i], rank);
    for (int64_t seen : sig.dims)
      if (seen == d) throw node.error("dim " + std::to_string(d) + " appears twice in the dims of " + node.kind());
    sig.dims.push_back(d);
    const bool last = i + 1 == dims->size();
    int64_t n = s ? (*s)[i] : -1;
    if (n == -1) {
      const Dim& size = shape[static_cast<size_t>(d)];
      if (!size.is_static()) return std::nullopt;
      n = sig.domain == FftDomain::c2r && last ? 2 * (size.value() - 1) : size.value();
    }
    if (n < 1)
      throw node.error("invalid number of data points (" + std::to_string(n) + ") along dim " + std::to_string(d) +
                       " of " + node.kind());
    sig.lengths.push_back(n);
  }
  return sig;
}

namespace {

int64_t int_or(const Node& node, size_t i, int64_t fallback, const char* what) {
  if (is_none(node.input(i))) return fallback;
  auto v = constant_int(node.input(i));
  if (!v) throw node.error(std::string(what) + " of " + node.kind() + " must be a constant");
  return *v;
}

}  // namespace

StftFrames stft_frames(const Node& node) {
  auto n_fft = constant_int(node.input(1));
  if (!n_fft) throw node.error("n_fft of " + node.kind() + " must be a constant");
  StftFrames f;
  f.n_fft = *n_fft;
  f.hop = int_or(node, 2, f.n_fft / 4, "hop_length");
  f.win_length = int_or(node, 3, f.n_fft, "win_length");
  if (f.n_fft <= 0) throw node.error("n_fft must be positive, got " + std::to_string(f.n_fft));
  if (f.hop <= 0) throw node.error("hop_length must be positive, got " + std::to_string(f.hop));
  if (f.win_length <= 0 || f.win_length > f.n_fft)
    throw node.error("win_length must be in (0, n_fft = " + std::to_string(f.n_fft) + "], got " +
                     std::to_string(f.win_length));
  const Type& w = shape::input_type(node, 4);
  if (w.is_tensor() && w.has_rank()) {
    const auto& ws = *w.shape();
    if (ws.size() != 1 || (ws[0].is_static() && ws[0].value() != f.win_length))
      throw node.error("the window must be 1-D of win_length = " + std::to_string(f.win_length) + " elements, got " +
                       shape_str(ws));
  }
  if (w.is_tensor() && w.dtype() && is_complex(*w.dtype()))
    throw node.error("a complex window is not supported by " + node.kind());
  return f;
}

namespace shape {

namespace {

DType complex_result(std::optional<DType> in) { return complex_dtype_of(in ? *in : DType::f32); }

std::optional<DType> part_dtype(const Type& t) {
  if (!t.dtype()) return std::nullopt;
  return is_complex(*t.dtype()) ? real_part_dtype(*t.dtype()) : is_floating(*t.dtype()) ? *t.dtype() : DType::f32;
}

}  // namespace

std::vector<TypePtr> fft(const Node& node) {
  const Type& x = input_type(node, 0);
  auto sig = fft_signal(node);
  std::optional<std::vector<Dim>> shape;
  if (sig) {
    shape = *x.shape();
    for (size_t i = 0; i < sig->dims.size(); ++i) {
      const bool half = sig->domain == FftDomain::r2c && i + 1 == sig->dims.size();
      (*shape)[static_cast<size_t>(sig->dims[i])] = Dim::constant(half ? sig->lengths[i] / 2 + 1 : sig->lengths[i]);
    }
  } else if (x.has_rank()) {
    shape = *x.shape();
    for (Dim& d : *shape) d = Dim::unknown();
  }
  const bool real_out = sig ? sig->domain == FftDomain::c2r : node.kind() == "aten::fft_irfft" ||
                                                                 node.kind() == "aten::fft_hfft" ||
                                                                 node.kind() == "aten::fft_irfft2" ||
                                                                 node.kind() == "aten::fft_irfftn";
  std::optional<DType> dtype = real_out ? part_dtype(x) : std::optional<DType>(complex_result(part_dtype(x)));
  return {Type::tensor(dtype, shape, x.tensor_device())};
}

std::vector<TypePtr> view_as_real(const Node& node) {
  const Type& x = input_type(node, 0);
  if (x.dtype() && !is_complex(*x.dtype()))
    throw node.error("view_as_real is only supported for complex tensors, got " + std::string(dtype_name(*x.dtype())));
  std::optional<std::vector<Dim>> shape = x.shape();
  if (shape) shape->push_back(Dim::constant(2));
  return {Type::tensor(part_dtype(x), shape, x.tensor_device())};
}

std::vector<TypePtr> view_as_complex(const Node& node) {
  const Type& x = input_type(node, 0);
  if (x.dtype() && *x.dtype() != DType::f32 && *x.dtype() != DType::f64)
    throw node.error("view_as_complex takes a float32 or float64 tensor, got " + std::string(dtype_name(*x.dtype())));
  std::optional<std::vector<Dim>> shape = x.shape();
  if (shape) {
    if (shape->empty() || !(shape->back().is_static() && shape->back().value() == 2))
      throw node.error("view_as_complex needs a tensor whose last dim is 2, got " + shape_str(*shape));
    shape->pop_back();
  }
  return {Type::tensor(x.dtype() ? std::optional<DType>(complex_dtype_of(*x.dtype())) : std::nullopt, shape,
                       x.tensor_device())};
}

// abs, angle, real: a complex tensor's real dtype; angle of a real one is
// floating.
std::vector<TypePtr> real_of_complex(const Node& node) {
  const Type& x = input_type(node, 0);
  std::optional<DType> dtype = x.dtype();
  if (dtype && is_complex(*dtype)) dtype = real_part_dtype(*dtype);
  else if (dtype && node.kind() == "aten::angle" && !is_floating(*dtype)) dtype = DType::f32;
  return {Type::tensor(dtype, x.shape(), x.tensor_device())};
}

std::vector<TypePtr> imaginary_part(const Node& node) {
  const Type& x = input_type(node, 0);
  if (x.dtype() && !is_complex(*x.dtype())) throw node.error("imag is not implemented for tensors with non-complex dtypes");
  return real_of_complex(node);
}

// complex(real, imag), polar(abs, angle): two real tensors of one float dtype.
std::vector<TypePtr> complex_from_parts(const Node& node) {
  const Type& a = input_type(node, 0);
  const Type& b = input_type(node, 1);
  for (const Type* t : {&a, &b})
    if (t->dtype() && *t->dtype() != DType::f32 && *t->dtype() != DType::f64)
      throw node.error(node.kind() + " expects float32 or float64 parts, got " + std::string(dtype_name(*t->dtype())));
  require_same_dtype(node, a, b, "the first part", "the second part");
  auto shape = broadcast(node, a, b);
  return {Type::tensor(a.dtype() ? std::optional<DType>(complex_dtype_of(*a.dtype())) : std::nullopt, shape,
                       a.tensor_device())};
}

std::vector<TypePtr> fftfreq(const Node& node) {
  auto n = constant_int(node.input(0));
  if (!n) throw node.error("the length of " + node.kind() + " must be a constant");
  if (*n < 0) throw node.error(node.kind() + " of a negative length " + std::to_string(*n));
  DTypeArg a = dtype_arg(node, 2);
  const DType dtype = a.given && a.dtype ? *a.dtype : DType::f32;
  if (!is_floating(dtype)) throw node.error(node.kind() + " makes floating-point tensors, got " + std::string(dtype_name(dtype)));
  const int64_t length = node.kind() == "aten::fft_rfftfreq" ? *n / 2 + 1 : *n;
  return {Type::tensor(dtype, std::vector<Dim>{Dim::constant(length)})};
}

std::vector<TypePtr> stft(const Node& node) {
  const Type& x = input_type(node, 0);
  StftFrames f = stft_frames(node);
  if (x.dtype() && is_complex(*x.dtype())) throw node.error("stft of a complex signal is not supported");
  if (x.has_rank() && x.rank() != 1 && x.rank() != 2)
    throw node.error("stft expects a 1-D or 2-D (batched) signal, got " + shape_str(*x.shape()));
  auto onesided = constant_bool(node.input(6));
  if (!is_none(node.input(6)) && !onesided) throw node.error("onesided of stft must be a constant");
  if (is_none(node.input(7)))
    throw node.error("stft requires the return_complex parameter be given for real inputs");
  auto return_complex = constant_bool(node.input(7));
  if (!return_complex) throw node.error("return_complex of stft must be a constant");
  const int64_t bins = onesided.value_or(true) ? f.n_fft / 2 + 1 : f.n_fft;
  std::optional<std::vector<Dim>> shape;
  if (x.has_rank()) {
    const Dim& length = x.shape()->back();
    Dim frames = Dim::unknown();
    if (length.is_static()) {
      if (length.value() < f.n_fft)
        throw node.error("stft: the signal (" + std::to_string(length.value()) + " samples) is shorter than n_fft = " +
                         std::to_string(f.n_fft));
      frames = Dim::constant(1 + (length.value() - f.n_fft) / f.hop);
    }
    shape = std::vector<Dim>(x.shape()->begin(), x.shape()->end() - 1);
    shape->push_back(Dim::constant(bins));
    shape->push_back(frames);
    if (!*return_complex) shape->push_back(Dim::constant(2));
  }
  std::optional<DType> part = part_dtype(x);
  std::optional<DType> dtype = *return_complex && part ? std::optional<DType>(complex_dtype_of(*part)) : part;
  return {Type::tensor(dtype, shape, x.tensor_device())};
}

std::vector<TypePtr> istft(const Node& node) {
  const Type& x = input_type(node, 0);
  StftFrames f = stft_frames(node);
  if (x.dtype() && !is_complex(*x.dtype()))
    throw node.error("istft expects a complex spectrogram (torch.view_as_complex of a real one)");
  if (auto rc = constant_bool(node.input(9)); !rc || *rc)
    throw node.error("istft with return_complex=True is not supported");
  std::optional<std::vector<Dim>> shape;
  if (x.has_rank()) {
    if (x.rank() != 2 && x.rank() != 3)
      throw node.error("istft expects a 2-D or 3-D (batched) spectrogram, got " + shape_str(*x.shape()));
    const Dim& frames = x.shape()->back();
    Dim length = Dim::unknown();
    if (!is_none(node.input(8))) {
      auto l = constant_int(node.input(8));
      if (!l) throw node.error("length of istft must be a constant");
      length = Dim::constant(*l);
    } else if (frames.is_static()) {
      const bool center = constant_bool(node.input(5)).value_or(true);
      length = Dim::constant(f.n_fft + f.hop * (frames.value() - 1) - (center ? 2 * (f.n_fft / 2) : 0));
    }
    shape = std::vector<Dim>(x.shape()->begin(), x.shape()->end() - 2);
    shape->push_back(length);
  }
  return {Type::tensor(part_dtype(x), shape, x.tensor_device())};
}

std::vector<TypePtr> fourier_kernel(const Node& node) {
  const Type& x = input_type(node, 0);
  const std::string& name = node.op().schema.name;
  const bool pairs_in = name != "fft_r2c", pairs_out = name != "fft_c2r";
  if (x.dtype() && *x.dtype() != DType::f32 && *x.dtype() != DType::f64)
    throw node.error(node.kind() + " takes float32 or float64 tensors, got " + std::string(dtype_name(*x.dtype())));
  auto dim = constant_int(node.input(1));
  if (!dim) throw node.error("the dim of " + node.kind() + " must be a constant");
  if (!x.has_rank()) return {Type::tensor(x.dtype(), std::nullopt, x.tensor_device())};
  std::vector<Dim> shape = *x.shape();
  if (pairs_in) {
    if (shape.empty() || !(shape.back().is_static() && shape.back().value() == 2))
      throw node.error(node.kind() + " takes complex values as pairs, a last dim of 2, got " + shape_str(shape));
    shape.pop_back();
  }
  const int64_t rank = static_cast<int64_t>(shape.size());
  if (*dim < 0 || *dim >= rank)
    throw node.error(node.kind() + ": no dim " + std::to_string(*dim) + " in a signal of rank " + std::to_string(rank));
  Dim& along = shape[static_cast<size_t>(*dim)];
  if (name == "fft_r2c") {
    if (!along.is_static()) throw node.error(node.kind() + ": the transformed dim must have a size known when compiling");
    along = Dim::constant(along.value() / 2 + 1);
  } else if (name == "fft_c2r") {
    auto n = constant_int(node.input(2));
    if (!n || *n < 1) throw node.error("the signal length of " + node.kind() + " must be a positive constant");
    if (!along.is_static() || along.value() != *n / 2 + 1)
      throw node.error(node.kind() + ": a signal of " + std::to_string(*n) + " points has " + std::to_string(*n / 2 + 1) +
                       " bins, got " + along.str());
    along = Dim::constant(*n);
  } else if (!along.is_static()) {
    throw node.error(node.kind() + ": the transformed dim must have a size known when compiling");
  }
  if (pairs_out) shape.push_back(Dim::constant(2));
  return {Type::tensor(x.dtype(), shape, x.tensor_device())};
}

std::vector<TypePtr> framed_fourier_kernel(const Node& node) {
  const Type& x = input_type(node, 0);
  const Type& window = input_type(node, 1);
  if (x.dtype() && *x.dtype() != DType::f32 && *x.dtype() != DType::f64)
    throw node.error(node.kind() + " takes float32 or float64 signals, got " + std::string(dtype_name(*x.dtype())));
  if (x.dtype() && window.dtype() && *window.dtype() != *x.dtype())
    throw node.error(node.kind() + ": the window's dtype differs from the signal's");
  auto n_fft = constant_int(node.input(2));
  auto hop = constant_int(node.input(3));
  if (!n_fft || !hop || *n_fft < 1 || *hop < 1)
    throw node.error(node.kind() + ": n_fft and hop must be positive constants");
  if (window.has_rank() && !(window.rank() == 1 && (*window.shape())[0] == Dim::constant(*n_fft)))
    throw node.error(node.kind() + ": the window must be [" + std::to_string(*n_fft) + "], got " + shape_str(*window.shape()));
  if (!x.has_rank()) return {Type::tensor(x.dtype(), std::nullopt, x.tensor_device())};
  if (x.rank() != 2) throw node.error(node.kind() + " takes a batch of signals [B, L], got " + shape_str(*x.shape()));
  const Dim& length = (*x.shape())[1];
  if (!length.is_static() || length.value() < *n_fft)
    throw node.error(node.kind() + ": the signal must be known and at least n_fft long, got " + length.str());
  const int64_t frames = 1 + (length.value() - *n_fft) / *hop;
  return {Type::tensor(x.dtype(), std::vector<Dim>{(*x.shape())[0], Dim::constant(*n_fft / 2 + 1), Dim::constant(frames),
                                                   Dim::constant(2)},
                       x.tensor_device())};
}

}  // namespace shape

}  // namespace wick::ir
