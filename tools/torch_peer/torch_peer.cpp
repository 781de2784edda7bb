// The LibTorch peer behind torch_peer.h: TorchScript run through LibTorch as
// its users run it. Every entry point catches everything and reports through
// a thread-local message, so no exception reaches the C caller.
#include "torch_peer.h"

#include "blas_threads.h"

#include <torch/script.h>

#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include <ATen/Parallel.h>

struct WickPeerModel {
  torch::jit::Module module;
  std::vector<torch::Tensor> outputs;  // the last forward call's, flattened
};

namespace {

thread_local std::string last_error;

int fail(const std::string& message) {
  last_error = message;
  return 1;
}

// Runs `body`, turning any exception into an error return.
template <typename F>
int guarded(const char* what, F&& body) {
  try {
    body();
    return 0;
  } catch (const c10::Error& e) {
    return fail(std::string(what) + ": " + e.what_without_backtrace());
  } catch (const std::exception& e) {
    return fail(std::string(what) + ": " + e.what());
  } catch (...) {
    return fail(std::string(what) + ": unknown error");
  }
}

struct DTypeMap {
  int code;
  c10::ScalarType type;
};
constexpr DTypeMap kDTypes[] = {
    {WICK_PEER_F32, c10::kFloat}, {WICK_PEER_F64, c10::kDouble}, {WICK_PEER_F16, c10::kHalf},
    {WICK_PEER_BF16, c10::kBFloat16}, {WICK_PEER_I64, c10::kLong}, {WICK_PEER_I32, c10::kInt},
    {WICK_PEER_I16, c10::kShort}, {WICK_PEER_I8, c10::kChar}, {WICK_PEER_U8, c10::kByte},
    {WICK_PEER_BOOL, c10::kBool},
};

c10::ScalarType scalar_type_of(int code) {
  for (const auto& d : kDTypes)
    if (d.code == code) return d.type;
  throw std::runtime_error("unknown dtype code " + std::to_string(code));
}

int code_of(c10::ScalarType type) {
  for (const auto& d : kDTypes)
    if (d.type == type) return d.code;
  throw std::runtime_error(std::string("output dtype ") + c10::toString(type) + " has no wick equivalent");
}

torch::Tensor wrap_input(const WickPeerTensor& t, int index) {
  const std::string name = "input " + std::to_string(index);
  if (t.ndim < 0 || t.ndim > 64) throw std::runtime_error(name + ": bad rank " + std::to_string(t.ndim));
  if (t.ndim > 0 && !t.sizes) throw std::runtime_error(name + ": no sizes");
  std::vector<int64_t> sizes(t.sizes, t.sizes + t.ndim);
  int64_t numel = 1;
  for (int64_t s : sizes) {
    if (s < 0) throw std::runtime_error(name + ": negative size");
    numel *= s;
  }
  if (numel > 0 && !t.data) throw std::runtime_error(name + ": no data");
  // The caller keeps the memory alive for the call: no copy.
  return torch::from_blob(t.data, sizes, torch::TensorOptions().dtype(scalar_type_of(t.dtype)));
}

void flatten(const c10::IValue& v, std::vector<torch::Tensor>* out) {
  if (v.isTensor()) {
    out->push_back(v.toTensor());
  } else if (v.isTuple()) {
    for (const auto& e : v.toTupleRef().elements()) flatten(e, out);
  } else if (v.isList()) {
    for (const c10::IValue& e : v.toListRef()) flatten(e, out);
  } else if (v.isGenericDict()) {
    for (const auto& e : v.toGenericDict()) flatten(e.value(), out);  // insertion order
  } else if (v.isDouble()) {
    out->push_back(torch::scalar_tensor(v.toDouble(), torch::kDouble));
  } else if (v.isInt()) {
    out->push_back(torch::scalar_tensor(v.toInt(), torch::kLong));
  } else if (v.isBool()) {
    out->push_back(torch::scalar_tensor(v.toBool(), torch::kBool));
  } else {
    throw std::runtime_error("an output of type " + v.tagKind() + " is not supported");
  }
}

const torch::Tensor& output_at(const WickPeerModel* model, int index) {
  if (!model) throw std::runtime_error("no model");
  if (index < 0 || static_cast<size_t>(index) >= model->outputs.size())
    throw std::runtime_error("no output " + std::to_string(index));
  return model->outputs[static_cast<size_t>(index)];
}

}  // namespace

extern "C" {

int wick_torch_peer_abi_version(void) { return WICK_TORCH_PEER_ABI_VERSION; }

const char* wick_torch_peer_last_error(void) { return last_error.c_str(); }

int wick_torch_peer_set_num_threads(int threads) {
  return guarded("set_num_threads", [&] {
    if (threads < 1) throw std::runtime_error("thread count must be at least 1");
    torch::set_num_threads(threads);
    wick::torch_side::set_blas_threads(threads);
    // LibTorch refuses a second setting of the inter-op pool, or one after
    // the pool started; forward() of a scripted model does not use it.
    static bool interop_set = false;
    if (!interop_set) {
      interop_set = true;
      try {
        at::set_num_interop_threads(threads);
      } catch (const c10::Error&) {
      }
    }
  });
}

WickPeerModel* wick_torch_peer_load(const char* path) {
  WickPeerModel* model = nullptr;
  int rc = guarded("load", [&] {
    if (!path) throw std::runtime_error("no path");
    auto m = std::make_unique<WickPeerModel>();
    m->module = torch::jit::load(path, torch::kCPU);
    m->module.eval();
    model = m.release();
  });
  return rc == 0 ? model : nullptr;
}

void wick_torch_peer_free(WickPeerModel* model) {
  guarded("free", [&] { delete model; });
}

int wick_torch_peer_forward(WickPeerModel* model, const WickPeerTensor* inputs, int num_inputs) {
  return guarded("forward", [&] {
    if (!model) throw std::runtime_error("no model");
    if (num_inputs < 0 || (num_inputs > 0 && !inputs)) throw std::runtime_error("bad input list");
    model->outputs.clear();
    std::vector<c10::IValue> args;
    args.reserve(static_cast<size_t>(num_inputs));
    for (int i = 0; i < num_inputs; ++i) {
      if (inputs[i].ndim == -1 && !inputs[i].data) args.emplace_back();  // None
      else args.emplace_back(wrap_input(inputs[i], i));
    }
    torch::NoGradGuard no_grad;
    c10::IValue result = model->module.forward(std::move(args));
    flatten(result, &model->outputs);
  });
}

int wick_torch_peer_num_outputs(const WickPeerModel* model) {
  return model ? static_cast<int>(model->outputs.size()) : 0;
}

int wick_torch_peer_output_info(const WickPeerModel* model, int index, WickPeerOutputInfo* info) {
  return guarded("output_info", [&] {
    const torch::Tensor& t = output_at(model, index);
    if (!info) throw std::runtime_error("no info");
    info->dtype = code_of(t.scalar_type());
    info->ndim = static_cast<int>(t.dim());
    info->sizes = t.sizes().data();
    info->nbytes = static_cast<size_t>(t.numel()) * t.element_size();
  });
}

int wick_torch_peer_output_copy(const WickPeerModel* model, int index, void* dst, size_t nbytes) {
  return guarded("output_copy", [&] {
    const torch::Tensor& t = output_at(model, index);
    const size_t want = static_cast<size_t>(t.numel()) * t.element_size();
    if (nbytes != want)
      throw std::runtime_error("output " + std::to_string(index) + " has " + std::to_string(want) + " bytes, not " +
                               std::to_string(nbytes));
    if (want == 0) return;
    if (!dst) throw std::runtime_error("no destination");
    torch::Tensor c = t.device().is_cpu() ? t.contiguous() : t.cpu().contiguous();
    std::memcpy(dst, c.data_ptr(), want);
  });
}

}  // extern "C"
