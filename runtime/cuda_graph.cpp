// CUDA graph capture and replay; see cuda_graph.h.
#include "runtime/cuda_graph.h"

#include "runtime/cuda_device.h"
#include "runtime/cuda_driver.h"
#include "support/error.h"

namespace wick::rt {

using namespace cuda_api;

CudaGraph::CudaGraph(int device) : device_(device) {}

CudaGraph::~CudaGraph() {
  try {
    reset();
  } catch (...) {
    // A lost context cannot be cleaned up; nothing else to do.
  }
}

void CudaGraph::reset() {
  if (!exec_ && !graph_ && !pool_ && kept_.empty()) return;
  const CudaDriver& d = cuda_driver();
  const CudaDevice& dev = cuda_device(device_);
  if (d.cuCtxSetCurrent(dev.context()) == CUDA_SUCCESS) d.cuStreamSynchronize(dev.stream());
  if (exec_) d.cuGraphExecDestroy(exec_);
  if (graph_) d.cuGraphDestroy(graph_);
  exec_ = nullptr;
  graph_ = nullptr;
  num_nodes_ = 0;
  if (pool_) dev.allocator().release_pool(pool_);
  pool_ = 0;
  kept_.clear();
}

bool CudaGraph::capture(const std::function<void()>& body, std::string* why) {
  const CudaDevice& dev = cuda_device(device_);
  const CudaDriver& d = cuda_driver();
  reset();
  dev.make_current();
  auto fail = [&](std::string reason) {
    if (pool_) dev.allocator().release_pool(pool_);
    pool_ = 0;
    if (why) *why = "CUDA graph capture on cuda:" + std::to_string(device_) + " failed: " + reason;
    return false;
  };
  try {
    pool_ = dev.allocator().begin_pool();
  } catch (const Error& e) {
    return fail(e.message());
  }
  CUresult r = d.cuStreamBeginCapture(dev.stream(), CU_STREAM_CAPTURE_MODE_THREAD_LOCAL);
  if (r != CUDA_SUCCESS) {
    dev.allocator().end_pool();
    return fail("CUDA driver call cuStreamBeginCapture failed: " + cuda_error_text(r));
  }
  std::string failure;
  try {
    body();
  } catch (const Error& e) {
    failure = e.message();
  } catch (const std::exception& e) {
    failure = e.what();
  } catch (...) {
    failure = "the captured work threw an exception";
  }
  CUgraph graph = nullptr;
  r = d.cuStreamEndCapture(dev.stream(), &graph);
  dev.allocator().end_pool();
  if (failure.empty() && r != CUDA_SUCCESS)
    failure = "CUDA driver call cuStreamEndCapture failed: " + cuda_error_text(r) +
              " (the work queued something a graph cannot hold, such as a synchronize or a copy "
              "from pageable host memory)";
  if (failure.empty() && !graph) failure = "the capture produced no graph";
  CUgraphExec exec = nullptr;
  if (failure.empty()) {
    r = d.cuGraphInstantiateWithFlags(&exec, graph, 0);
    if (r != CUDA_SUCCESS)
      failure = "CUDA driver call cuGraphInstantiateWithFlags failed: " + cuda_error_text(r);
  }
  if (!failure.empty()) {
    if (exec) d.cuGraphExecDestroy(exec);
    if (graph) d.cuGraphDestroy(graph);
    return fail(failure);
  }
  graph_ = graph;
  exec_ = exec;
  size_t nodes = 0;
  if (d.cuGraphGetNodes(graph_, nullptr, &nodes) == CUDA_SUCCESS) num_nodes_ = nodes;
  return true;
}

void CudaGraph::replay() {
  if (!exec_) throw Error("replay of a CUDA graph that holds no capture");
  const CudaDevice& dev = cuda_device(device_);
  dev.make_current();
  cuda_check(cuda_driver().cuGraphLaunch(exec_, dev.stream()), "cuGraphLaunch",
             "replaying a graph of " + std::to_string(num_nodes_) + " nodes on cuda:" +
                 std::to_string(device_));
}

void CudaGraph::keep_alive(std::shared_ptr<Storage> storage) { kept_.push_back(std::move(storage)); }

}  // namespace wick::rt
