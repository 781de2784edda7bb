// The wick side of the LibTorch peer plugin (torch_peer/torch_peer.h): finds
// libwick_torch_peer.so next to the wick binary (<bin>/../lib) or at
// $WICK_TORCH_PEER, loads it with dlopen and wraps its C interface. The wick
// binary never links LibTorch; only `wick bench` loads it, through here.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "support/tensor.h"
#include "tools/torch_peer/torch_peer.h"

namespace wick::tools {

class TorchPeer {
 public:
  // Loads the plugin; a missing or unusable plugin is a wick::Error whose
  // message starts "wick bench needs the LibTorch peer plugin".
  static std::unique_ptr<TorchPeer> open();
  ~TorchPeer();

  const std::string& path() const { return path_; }
  void set_num_threads(int threads);

  // A TorchScript module loaded by LibTorch.
  class Model;
  std::unique_ptr<Model> load(const std::string& model_path);

 private:
  struct Api;
  TorchPeer(std::string path, void* handle, std::unique_ptr<Api> api);
  [[noreturn]] void fail(const std::string& what) const;

  std::string path_;
  void* handle_;
  std::unique_ptr<Api> api_;
};

class TorchPeer::Model {
 public:
  ~Model();
  // Binds the inputs that forward() reads in place; they must stay alive and
  // unchanged while this model runs them. Made contiguous first if needed.
  void bind_inputs(const std::vector<Tensor>& inputs);
  // Runs forward on the bound inputs; the outputs stay in the plugin.
  void forward();
  // Copies of the last forward call's outputs, flattened depth first.
  std::vector<Tensor> outputs() const;

 private:
  friend class TorchPeer;
  Model(const TorchPeer* peer, WickPeerModel* model) : peer_(peer), model_(model) {}
  const TorchPeer* peer_;
  WickPeerModel* model_;
  std::vector<Tensor> inputs_;
  std::vector<WickPeerTensor> bound_;
};

}  // namespace wick::tools
