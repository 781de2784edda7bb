#include "tools/torch_peer_client.h"

#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>

#include "support/error.h"

namespace wick::tools {

namespace fs = std::filesystem;

// The plugin's dtype codes are wick's DType values.
static_assert(static_cast<int>(DType::f32) == WICK_PEER_F32 && static_cast<int>(DType::f64) == WICK_PEER_F64 &&
              static_cast<int>(DType::f16) == WICK_PEER_F16 && static_cast<int>(DType::bf16) == WICK_PEER_BF16 &&
              static_cast<int>(DType::i64) == WICK_PEER_I64 && static_cast<int>(DType::i32) == WICK_PEER_I32 &&
              static_cast<int>(DType::i16) == WICK_PEER_I16 && static_cast<int>(DType::i8) == WICK_PEER_I8 &&
              static_cast<int>(DType::u8) == WICK_PEER_U8 && static_cast<int>(DType::b8) == WICK_PEER_BOOL);

struct TorchPeer::Api {
  decltype(&wick_torch_peer_abi_version) abi_version = nullptr;
  decltype(&wick_torch_peer_last_error) last_error = nullptr;
  decltype(&wick_torch_peer_set_num_threads) set_num_threads = nullptr;
  decltype(&wick_torch_peer_load) load = nullptr;
  decltype(&wick_torch_peer_free) free = nullptr;
  decltype(&wick_torch_peer_forward) forward = nullptr;
  decltype(&wick_torch_peer_num_outputs) num_outputs = nullptr;
  decltype(&wick_torch_peer_output_info) output_info = nullptr;
  decltype(&wick_torch_peer_output_copy) output_copy = nullptr;
};

namespace {

const char kLibrary[] = "libwick_torch_peer.so";

[[noreturn]] void missing(const std::string& why) {
  throw Error(std::string("wick bench needs the LibTorch peer plugin (") + kLibrary +
              "), which this build does not have: " + why +
              ". Build the wick_torch_peer target (it needs LibTorch), or set WICK_TORCH_PEER to the library's path.");
}

// <directory of the running binary>/../lib/libwick_torch_peer.so
std::string default_path() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return std::string("lib/") + kLibrary;
  return (exe.parent_path().parent_path() / "lib" / kLibrary).lexically_normal().string();
}

template <typename F>
void resolve(void* handle, const char* name, F* fn) {
  *fn = reinterpret_cast<F>(dlsym(handle, name));
  if (!*fn) {
    dlclose(handle);
    missing(std::string("it lacks the symbol ") + name);
  }
}

}  // namespace

std::unique_ptr<TorchPeer> TorchPeer::open() {
  const char* env = std::getenv("WICK_TORCH_PEER");
  std::string path = env && *env ? std::string(env) : default_path();
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) missing("there is no file " + path);
  // RTLD_LOCAL keeps LibTorch's symbols out of the way of wick's own.
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* why = dlerror();
    missing("loading " + path + " failed: " + (why ? why : "unknown error"));
  }
  auto api = std::make_unique<Api>();
  resolve(handle, "wick_torch_peer_abi_version", &api->abi_version);
  resolve(handle, "wick_torch_peer_last_error", &api->last_error);
  resolve(handle, "wick_torch_peer_set_num_threads", &api->set_num_threads);
  resolve(handle, "wick_torch_peer_load", &api->load);
  resolve(handle, "wick_torch_peer_free", &api->free);
  resolve(handle, "wick_torch_peer_forward", &api->forward);
  resolve(handle, "wick_torch_peer_num_outputs", &api->num_outputs);
  resolve(handle, "wick_torch_peer_output_info", &api->output_info);
  resolve(handle, "wick_torch_peer_output_copy", &api->output_copy);
  if (int v = api->abi_version(); v != WICK_TORCH_PEER_ABI_VERSION) {
    dlclose(handle);
    missing(path + " has interface version " + std::to_string(v) + ", this wick needs " +
            std::to_string(WICK_TORCH_PEER_ABI_VERSION));
  }
  return std::unique_ptr<TorchPeer>(new TorchPeer(std::move(path), handle, std::move(api)));
}

TorchPeer::TorchPeer(std::string path, void* handle, std::unique_ptr<Api> api)
    : path_(std::move(path)), handle_(handle), api_(std::move(api)) {}

// LibTorch is never unloaded: its static destructors may run at exit only.
TorchPeer::~TorchPeer() { (void)handle_; }

void TorchPeer::fail(const std::string& what) const {
  throw Error("LibTorch " + what + ": " + api_->last_error());
}

void TorchPeer::set_num_threads(int threads) {
  if (api_->set_num_threads(threads) != 0) fail("could not set the thread count");
}

std::unique_ptr<TorchPeer::Model> TorchPeer::load(const std::string& model_path) {
  WickPeerModel* m = api_->load(model_path.c_str());
  if (!m) fail("could not load " + model_path);
  return std::unique_ptr<Model>(new Model(this, m));
}

TorchPeer::Model::~Model() { peer_->api_->free(model_); }

void TorchPeer::Model::bind_inputs(const std::vector<Tensor>& inputs) {
  inputs_.clear();
  bound_.clear();
  for (const Tensor& t : inputs) {
    if (t.defined() && t.device().kind != DeviceKind::cpu) throw Error("the LibTorch peer takes CPU inputs only");
    inputs_.push_back(t.defined() ? t.contiguous() : t);
  }
  for (const Tensor& t : inputs_)
    bound_.push_back(t.defined() ? WickPeerTensor{static_cast<int>(t.dtype()), t.dim(), t.sizes().data(), t.data()}
                                 : WickPeerTensor{0, -1, nullptr, nullptr});  // None
}

void TorchPeer::Model::forward() {
  if (peer_->api_->forward(model_, bound_.data(), static_cast<int>(bound_.size())) != 0)
    peer_->fail("could not run the model");
}

std::vector<Tensor> TorchPeer::Model::outputs() const {
  const Api& api = *peer_->api_;
  std::vector<Tensor> out;
  const int n = api.num_outputs(model_);
  for (int i = 0; i < n; ++i) {
    WickPeerOutputInfo info{};
    if (api.output_info(model_, i, &info) != 0) peer_->fail("could not describe an output");
    Tensor t = Tensor::zeros(static_cast<DType>(info.dtype), std::vector<int64_t>(info.sizes, info.sizes + info.ndim));
    if (api.output_copy(model_, i, t.data(), t.nbytes()) != 0) peer_->fail("could not copy an output");
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace wick::tools
