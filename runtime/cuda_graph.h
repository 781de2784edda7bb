// Whole-plan CUDA graphs: the launches, copies and library calls a run queues
// on a device's stream are captured once into a graph and replayed, so a run
// of fixed shapes costs one launch. A graph replays fixed addresses: the
// buffers the captured work reads and writes must stay where they are, so the
// caller copies new inputs into the captured input buffers before a replay
// and reads the outputs from the captured output buffers after it (keep_alive
// ties such buffers to the graph). Memory allocated during capture comes from
// the graph's private pool (cuda_allocator.h) and stays reserved for it.
//
// Capture records and does not run: after a successful capture nothing has
// been computed yet, and replay() does the work. Run the body once directly
// before capturing it, so that libraries and kernels finish their lazy
// set-up (loading code, creating handles) outside the capture.
//
// When something in the body cannot be captured (a synchronize, a copy from
// pageable host memory, an error thrown by the body), capture() ends the
// capture, releases what it took and returns false with the reason; the
// stream and device stay usable and the caller runs the work directly.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "runtime/cuda_abi.h"
#include "support/tensor.h"

namespace wick::rt {

class CudaGraph {
 public:
  explicit CudaGraph(int device = 0);
  ~CudaGraph();
  CudaGraph(const CudaGraph&) = delete;
  CudaGraph& operator=(const CudaGraph&) = delete;

  // Captures what `body` queues on the device's stream from this thread, and
  // instantiates it. Replaces an earlier capture. Returns false, with the
  // reason in *why, when the work cannot be captured (see above); throws
  // wick::Error only when there is no device.
  bool capture(const std::function<void()>& body, std::string* why = nullptr);

  // Queues one run of the captured work on the stream (asynchronous).
  // Throws wick::Error when nothing is captured or the launch fails.
  void replay();

  bool captured() const { return exec_ != nullptr; }
  int device() const { return device_; }
  // Nodes in the captured graph (kernels, copies, memsets, library kernels).
  size_t num_nodes() const { return num_nodes_; }

  // Keeps `storage` alive as long as the graph (call after capture(), which
  // starts afresh).
  void keep_alive(std::shared_ptr<Storage> storage);

  // Waits for replays in flight, then drops the graph and gives its pool back.
  void reset();

 private:
  int device_;
  cuda_api::CUgraph graph_ = nullptr;
  cuda_api::CUgraphExec exec_ = nullptr;
  uint64_t pool_ = 0;
  size_t num_nodes_ = 0;
  std::vector<std::shared_ptr<Storage>> kept_;
};

}  // namespace wick::rt
