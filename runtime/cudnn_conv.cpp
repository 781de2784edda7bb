// Convolution and pooling on cuDNN's legacy API; see cudnn_conv.h.
#include "runtime/cudnn_conv.h"

#include <climits>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "runtime/cuda_device.h"
#include "runtime/cuda_kernel_util.h"
#include "runtime/cuda_library.h"
#include "runtime/cuda_tensor.h"
#include "runtime/cudnn_abi.h"
#include "runtime/kernel_util.h"
#include "support/error.h"

namespace wick::rt {
namespace {

using namespace cudnn_api;
using cuda_api::CUstream;

constexpr size_t kMaxWorkspace = size_t{256} << 20;

// ---- the library ----------------------------------------------------------

struct Cudnn {
  CudaLibrary lib;
  size_t (*get_version)() = nullptr;
  const char* (*error_string)(cudnnStatus_t) = nullptr;
  void (*last_error)(char*, size_t) = nullptr;  // optional
  cudnnStatus_t (*create)(cudnnHandle_t*) = nullptr;
  cudnnStatus_t (*set_stream)(cudnnHandle_t, CUstream) = nullptr;
  cudnnStatus_t (*create_tensor)(cudnnTensorDescriptor_t*) = nullptr;
  cudnnStatus_t (*set_tensor)(cudnnTensorDescriptor_t, int, int, const int*, const int*) = nullptr;
  cudnnStatus_t (*create_filter)(cudnnFilterDescriptor_t*) = nullptr;
  cudnnStatus_t (*set_filter)(cudnnFilterDescriptor_t, int, int, int, const int*) = nullptr;
  cudnnStatus_t (*create_conv)(cudnnConvolutionDescriptor_t*) = nullptr;
  cudnnStatus_t (*set_conv)(cudnnConvolutionDescriptor_t, int, const int*, const int*, const int*,
                            int, int) = nullptr;
  cudnnStatus_t (*set_groups)(cudnnConvolutionDescriptor_t, int) = nullptr;
  cudnnStatus_t (*set_math)(cudnnConvolutionDescriptor_t, int) = nullptr;
  cudnnStatus_t (*get_algos)(cudnnHandle_t, cudnnTensorDescriptor_t, cudnnFilterDescriptor_t,
                             cudnnConvolutionDescriptor_t, cudnnTensorDescriptor_t, int, int*,
                             cudnnConvolutionFwdAlgoPerf_t*) = nullptr;
  cudnnStatus_t (*workspace_size)(cudnnHandle_t, cudnnTensorDescriptor_t, cudnnFilterDescriptor_t,
                                  cudnnConvolutionDescriptor_t, cudnnTensorDescriptor_t, int,
                                  size_t*) = nullptr;
  cudnnStatus_t (*conv_forward)(cudnnHandle_t, const void*, cudnnTensorDescriptor_t, const void*,
                                cudnnFilterDescriptor_t, const void*, cudnnConvolutionDescriptor_t,
                                int, void*, size_t, const void*, cudnnTensorDescriptor_t,
                                void*) = nullptr;
  cudnnStatus_t (*add_tensor)(cudnnHandle_t, const void*, cudnnTensorDescriptor_t, const void*,
                              const void*, cudnnTensorDescriptor_t, void*) = nullptr;
  cudnnStatus_t (*create_act)(cudnnActivationDescriptor_t*) = nullptr;
  cudnnStatus_t (*set_act)(cudnnActivationDescriptor_t, int, int, double) = nullptr;
  cudnnStatus_t (*set_swish_beta)(cudnnActivationDescriptor_t, double) = nullptr;
  cudnnStatus_t (*act_forward)(cudnnHandle_t, cudnnActivationDescriptor_t, const void*,
                               cudnnTensorDescriptor_t, const void*, const void*,
                               cudnnTensorDescriptor_t, void*) = nullptr;
  cudnnStatus_t (*create_pool)(cudnnPoolingDescriptor_t*) = nullptr;
  cudnnStatus_t (*set_pool2d)(cudnnPoolingDescriptor_t, int, int, int, int, int, int, int,
                              int) = nullptr;
  cudnnStatus_t (*pool_forward)(cudnnHandle_t, cudnnPoolingDescriptor_t, const void*,
                                cudnnTensorDescriptor_t, const void*, const void*,
                                cudnnTensorDescriptor_t, void*) = nullptr;
  // Gradients.
  cudnnStatus_t (*get_data_algos)(cudnnHandle_t, cudnnFilterDescriptor_t, cudnnTensorDescriptor_t,
                                  cudnnConvolutionDescriptor_t, cudnnTensorDescriptor_t, int, int*,
                                  cudnnConvolutionBwdDataAlgoPerf_t*) = nullptr;
  cudnnStatus_t (*data_workspace_size)(cudnnHandle_t, cudnnFilterDescriptor_t, cudnnTensorDescriptor_t,
                                       cudnnConvolutionDescriptor_t, cudnnTensorDescriptor_t, int,
                                       size_t*) = nullptr;
  cudnnStatus_t (*conv_backward_data)(cudnnHandle_t, const void*, cudnnFilterDescriptor_t, const void*,
                                      cudnnTensorDescriptor_t, const void*, cudnnConvolutionDescriptor_t, int,
                                      void*, size_t, const void*, cudnnTensorDescriptor_t, void*) = nullptr;
  cudnnStatus_t (*get_filter_algos)(cudnnHandle_t, cudnnTensorDescriptor_t, cudnnTensorDescriptor_t,
                                    cudnnConvolutionDescriptor_t, cudnnFilterDescriptor_t, int, int*,
                                    cudnnConvolutionBwdFilterAlgoPerf_t*) = nullptr;
  cudnnStatus_t (*filter_workspace_size)(cudnnHandle_t, cudnnTensorDescriptor_t, cudnnTensorDescriptor_t,
                                         cudnnConvolutionDescriptor_t, cudnnFilterDescriptor_t, int,
                                         size_t*) = nullptr;
  cudnnStatus_t (*conv_backward_filter)(cudnnHandle_t, const void*, cudnnTensorDescriptor_t, const void*,
                                        cudnnTensorDescriptor_t, const void*, cudnnConvolutionDescriptor_t, int,
                                        void*, size_t, const void*, cudnnFilterDescriptor_t, void*) = nullptr;
  cudnnStatus_t (*pool_backward)(cudnnHandle_t, cudnnPoolingDescriptor_t, const void*, cudnnTensorDescriptor_t,
                                 const void*, cudnnTensorDescriptor_t, const void*, cudnnTensorDescriptor_t,
                                 const void*, const void*, cudnnTensorDescriptor_t, void*) = nullptr;
};

const Cudnn& cudnn() {
  struct Loaded {
    Cudnn api;
    std::unique_ptr<Error> error;  // why it could not be loaded
  };
  static const Loaded* loaded = [] {
    auto* l = new Loaded;  // never freed
    try {
      l->api.lib = open_cuda_library("cuDNN", "WICK_CUDNN", {"libcudnn.so.9"});
      auto sym = [&](auto& fn, const char* name) {
        fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(l->api.lib.symbol(name));
        if (!fn) throw Error("cuDNN at " + l->api.lib.path + " lacks " + name);
      };
      Cudnn& a = l->api;
      sym(a.get_version, "cudnnGetVersion");
      sym(a.error_string, "cudnnGetErrorString");
      a.last_error = reinterpret_cast<void (*)(char*, size_t)>(a.lib.symbol("cudnnGetLastErrorString"));
      sym(a.create, "cudnnCreate");
      sym(a.set_stream, "cudnnSetStream");
      sym(a.create_tensor, "cudnnCreateTensorDescriptor");
      sym(a.set_tensor, "cudnnSetTensorNdDescriptor");
      sym(a.create_filter, "cudnnCreateFilterDescriptor");
      sym(a.set_filter, "cudnnSetFilterNdDescriptor");
      sym(a.create_conv, "cudnnCreateConvolutionDescriptor");
      sym(a.set_conv, "cudnnSetConvolutionNdDescriptor");
      sym(a.set_groups, "cudnnSetConvolutionGroupCount");
      sym(a.set_math, "cudnnSetConvolutionMathType");
      sym(a.get_algos, "cudnnGetConvolutionForwardAlgorithm_v7");
      sym(a.workspace_size, "cudnnGetConvolutionForwardWorkspaceSize");
      sym(a.conv_forward, "cudnnConvolutionForward");
      sym(a.add_tensor, "cudnnAddTensor");
      sym(a.create_act, "cudnnCreateActivationDescriptor");
      sym(a.set_act, "cudnnSetActivationDescriptor");
      sym(a.set_swish_beta, "cudnnSetActivationDescriptorSwishBeta");
      sym(a.act_forward, "cudnnActivationForward");
      sym(a.create_pool, "cudnnCreatePoolingDescriptor");
      sym(a.set_pool2d, "cudnnSetPooling2dDescriptor");
      sym(a.pool_forward, "cudnnPoolingForward");
      sym(a.get_data_algos, "cudnnGetConvolutionBackwardDataAlgorithm_v7");
      sym(a.data_workspace_size, "cudnnGetConvolutionBackwardDataWorkspaceSize");
      sym(a.conv_backward_data, "cudnnConvolutionBackwardData");
      sym(a.get_filter_algos, "cudnnGetConvolutionBackwardFilterAlgorithm_v7");
      sym(a.filter_workspace_size, "cudnnGetConvolutionBackwardFilterWorkspaceSize");
      sym(a.conv_backward_filter, "cudnnConvolutionBackwardFilter");
      sym(a.pool_backward, "cudnnPoolingBackward");
      if (a.get_version() < 90000)
        throw Error("cuDNN at " + a.lib.path + " is version " + std::to_string(a.get_version()) +
                    "; wick needs cuDNN 9");
    } catch (const Error& e) {
      l->error = std::make_unique<Error>(e);
    }
    return l;
  }();
  if (loaded->error) throw *loaded->error;
  return loaded->api;
}

void dnn_check(const Cudnn& dnn, cudnnStatus_t s, const char* call, const std::string& what) {
  if (s == CUDNN_STATUS_SUCCESS) return;
  const char* text = dnn.error_string(s);
  std::string msg = std::string("cuDNN call ") + call + " failed: " +
                    (text ? text : "status " + std::to_string(s));
  if (dnn.last_error) {
    char buf[1024] = {};
    dnn.last_error(buf, sizeof buf - 1);
    if (buf[0]) msg += " (" + std::string(buf) + ")";
  }
  if (!what.empty()) msg += ": " + what;
  throw Error(msg);
}

// ---- per-device state ---------------------------------------------------------

struct ConvPlan {
  cudnnTensorDescriptor_t x = nullptr, y = nullptr, bias = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;
  cudnnActivationDescriptor_t act = nullptr;
  int algo = 0;
  size_t workspace = 0;
};

struct PoolPlan {
  cudnnTensorDescriptor_t x = nullptr, y = nullptr;
  cudnnPoolingDescriptor_t pool = nullptr;
};

struct DnnDevice {
  std::mutex mutex;
  cudnnHandle_t handle = nullptr;
  std::unordered_map<std::string, std::unique_ptr<ConvPlan>> convs;  // never evicted
  std::unordered_map<std::string, std::unique_ptr<PoolPlan>> pools;
};

DnnDevice& dnn_device(const Cudnn& dnn, int index) {
  static std::mutex mutex;
  static auto* devices = new std::unordered_map<int, DnnDevice*>;  // never freed
  std::lock_guard<std::mutex> lock(mutex);
  DnnDevice*& slot = (*devices)[index];
  if (slot) return *slot;
  const CudaDevice& dev = cuda_device(index);
  dev.make_current();
  auto state = std::make_unique<DnnDevice>();
  dnn_check(dnn, dnn.create(&state->handle), "cudnnCreate", "on " + dev.describe());
  dnn_check(dnn, dnn.set_stream(state->handle, dev.stream()), "cudnnSetStream", "");
  slot = state.release();
  return *slot;
}

int to_int(const char* op, int64_t v) {
  if (v > INT_MAX || v < INT_MIN)
    throw Error("the GPU " + std::string(op) + " got a size of " + std::to_string(v) +
                    ", more than cuDNN takes",
                {}, op);
  return static_cast<int>(v);
}

// A 4-d tensor descriptor with t's sizes and strides; strides of size-1 dims,
// which address nothing, are set as if the tensor were packed there.
cudnnTensorDescriptor_t tensor_desc(const Cudnn& dnn, const char* op, const Tensor& t) {
  int dims[4], strides[4];
  int64_t packed = 1;
  for (int d = 3; d >= 0; --d) {
    dims[d] = to_int(op, t.size(d));
    strides[d] = to_int(op, t.size(d) == 1 ? packed : t.strides()[d]);
    packed = static_cast<int64_t>(strides[d]) * std::max<int64_t>(t.size(d), 1);
  }
  cudnnTensorDescriptor_t desc = nullptr;
  dnn_check(dnn, dnn.create_tensor(&desc), "cudnnCreateTensorDescriptor", op);
  dnn_check(dnn, dnn.set_tensor(desc, CUDNN_DATA_FLOAT, 4, dims, strides),
            "cudnnSetTensorNdDescriptor", std::string(op) + " " + t.describe() + " strides " +
                                               shape_str(t.strides()));
  return desc;
}

std::string layout_key(const Tensor& t) { return shape_str(t.sizes()) + shape_str(t.strides()); }

// A 4-d view with a unit dim inserted before the last (NCW -> NC1W).
Tensor as_2d(const Tensor& t) {
  std::vector<int64_t> sizes = t.sizes(), strides = t.strides();
  sizes.insert(sizes.end() - 1, 1);
  strides.insert(strides.end() - 1, strides.back() * sizes.back());
  return restride(t, sizes, strides);
}

bool activation_of(const Epilogue& e, int* mode, double* coef) {
  *coef = 0;
  switch (e.op) {
    case PostOp::relu:
      *mode = CUDNN_ACTIVATION_RELU;
      return e.alpha == 0.f;
    case PostOp::clip:
      *mode = CUDNN_ACTIVATION_CLIPPED_RELU;
      *coef = e.beta;
      return e.alpha == 0.f && e.beta > 0.f;
    case PostOp::sigmoid: *mode = CUDNN_ACTIVATION_SIGMOID; return true;
    case PostOp::tanh: *mode = CUDNN_ACTIVATION_TANH; return true;
    case PostOp::silu: *mode = CUDNN_ACTIVATION_SWISH; return true;
    default: return false;
  }
}

// The geometry of one convolution: x [N, C, H, W], w [O, C/groups, kH, kW]
// (contiguous), y [N, O, oH, oW], whichever of them is a gradient.
struct ConvShape {
  const int64_t* stride;
  const int64_t* padding;
  const int64_t* dilation;
  int64_t groups;
};

// Locks a device's cuDNN state for one call; the device is current.
struct DnnCall {
  const CudaDevice& dev;
  const Cudnn& dnn;
  DnnDevice& state;
  std::lock_guard<std::mutex> lock;
  explicit DnnCall(int device)
      : dev(cuda_device(device)),  // no driver: say so before looking for cuDNN
        dnn(cudnn()),
        state(dnn_device(dnn, device)),
        lock(state.mutex) {
    dev.make_current();
  }
};

std::string conv_key(const char* op, const Tensor& x, const Tensor& w, const Tensor& y, const ConvShape& c) {
  std::string key = std::string(op) + layout_key(x) + layout_key(w) + layout_key(y);
  for (int i = 0; i < 2; ++i)
    key += "," + std::to_string(c.stride[i]) + "," + std::to_string(c.padding[i]) + "," +
           std::to_string(c.dilation[i]);
  return key + "g" + std::to_string(c.groups);
}

// The descriptors of x, w, y and the convolution, in plan.
void describe_conv(const Cudnn& dnn, const char* op, const Tensor& x, const Tensor& w, const Tensor& y,
                   const ConvShape& c, const std::string& what, ConvPlan& plan) {
  plan.x = tensor_desc(dnn, op, x);
  plan.y = tensor_desc(dnn, op, y);
  int wdims[4];
  for (int d = 0; d < 4; ++d) wdims[d] = to_int(op, w.size(d));
  dnn_check(dnn, dnn.create_filter(&plan.w), "cudnnCreateFilterDescriptor", what);
  dnn_check(dnn, dnn.set_filter(plan.w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, 4, wdims),
            "cudnnSetFilterNdDescriptor", what);
  int pad[2], str[2], dil[2];
  for (int i = 0; i < 2; ++i) {
    pad[i] = to_int(op, c.padding[i]);
    str[i] = to_int(op, c.stride[i]);
    dil[i] = to_int(op, c.dilation[i]);
  }
  dnn_check(dnn, dnn.create_conv(&plan.conv), "cudnnCreateConvolutionDescriptor", what);
  dnn_check(dnn, dnn.set_conv(plan.conv, 2, pad, str, dil, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT),
            "cudnnSetConvolutionNdDescriptor", what);
  dnn_check(dnn, dnn.set_groups(plan.conv, to_int(op, c.groups)), "cudnnSetConvolutionGroupCount", what);
  dnn_check(dnn, dnn.set_math(plan.conv, CUDNN_FMA_MATH), "cudnnSetConvolutionMathType", what);
}

// Of cuDNN's heuristic list (best first): the first algorithm that runs in
// fp32 (the descriptor asks for FMA math, which it keeps; tensor-op entries
// would mean TF32) within the workspace limit, deterministic ones first.
int choose_algo(const char* op, const cudnnConvolutionFwdAlgoPerf_t* perf, int count, const std::string& what) {
  for (bool need_determinism : {true, false})
    for (int i = 0; i < count; ++i)
      if (perf[i].status == CUDNN_STATUS_SUCCESS && perf[i].mathType != CUDNN_TENSOR_OP_MATH &&
          perf[i].mathType != CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION && perf[i].memory <= kMaxWorkspace &&
          (!need_determinism || perf[i].determinism == CUDNN_DETERMINISTIC))
        return perf[i].algo;
  throw Error("cuDNN offers no fp32 algorithm within a 256 MiB workspace for " + what, {}, op);
}

std::shared_ptr<Storage> workspace_for(const CudaDevice& dev, const ConvPlan& plan) {
  return plan.workspace ? dev.allocator().allocate(plan.workspace) : nullptr;
}

// The plan of one convolution call, made on first use and kept: the
// descriptors, then `choose` sets the algorithm and its workspace (and
// anything else the call needs).
template <typename Choose>
const ConvPlan& conv_plan(DnnCall& call, const char* op, const std::string& key, const Tensor& x, const Tensor& w,
                          const Tensor& y, const ConvShape& c, const std::string& what, Choose&& choose) {
  auto it = call.state.convs.find(key);
  if (it != call.state.convs.end()) return *it->second;
  auto plan = std::make_unique<ConvPlan>();
  describe_conv(call.dnn, op, x, w, y, c, what, *plan);
  choose(*plan);
  return *call.state.convs.emplace(key, std::move(plan)).first->second;
}

// x [N, C, H, W], w [O, C/groups, kH, kW] (contiguous), out [N, O, oH, oW].
void convolution(const char* op, const Tensor& x, const Tensor& w, const Tensor& bias, const ConvShape& c,
                 const Tensor& out, const Epilogue& e) {
  int act_mode = 0;
  double act_coef = 0;
  if (e.op != PostOp::none && !activation_of(e, &act_mode, &act_coef))
    throw Error("cuDNN cannot apply this post-op (" + std::to_string(static_cast<int>(e.op)) +
                    ") to a convolution; the plan must run it as a separate kernel",
                {}, op);
  if (out.numel() == 0) return;
  if (x.numel() == 0)
    throw Error("the GPU " + std::string(op) + " does not take an input with no channels", {}, op);
  DnnCall call(out.device().index);
  const Cudnn& dnn = call.dnn;
  const cudnnHandle_t handle = call.state.handle;
  const std::string key = conv_key(op, x, w, out, c) + (bias.defined() ? "b" : "") + "a" +
                          std::to_string(static_cast<int>(e.op)) + "," + std::to_string(e.beta);
  const std::string what = std::string(op) + " of " + x.describe() + " with " + w.describe();
  const ConvPlan& plan = conv_plan(call, op, key, x, w, out, c, what, [&](ConvPlan& p) {
    cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT] = {};
    int count = 0;
    dnn_check(dnn, dnn.get_algos(handle, p.x, p.w, p.conv, p.y, CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &count, perf),
              "cudnnGetConvolutionForwardAlgorithm_v7", what);
    p.algo = choose_algo(op, perf, count, what);
    dnn_check(dnn, dnn.workspace_size(handle, p.x, p.w, p.conv, p.y, p.algo, &p.workspace),
              "cudnnGetConvolutionForwardWorkspaceSize", what);
    if (bias.defined()) {
      const int bdims[4] = {1, to_int(op, w.size(0)), 1, 1};
      const int bstrides[4] = {bdims[1], 1, 1, 1};
      dnn_check(dnn, dnn.create_tensor(&p.bias), "cudnnCreateTensorDescriptor", what);
      dnn_check(dnn, dnn.set_tensor(p.bias, CUDNN_DATA_FLOAT, 4, bdims, bstrides), "cudnnSetTensorNdDescriptor",
                what + " (bias)");
    }
    if (e.op != PostOp::none) {
      dnn_check(dnn, dnn.create_act(&p.act), "cudnnCreateActivationDescriptor", what);
      dnn_check(dnn, dnn.set_act(p.act, act_mode, CUDNN_PROPAGATE_NAN, act_coef), "cudnnSetActivationDescriptor",
                what);
      if (act_mode == CUDNN_ACTIVATION_SWISH)
        dnn_check(dnn, dnn.set_swish_beta(p.act, 1.0), "cudnnSetActivationDescriptorSwishBeta", what);
    }
  });
  std::shared_ptr<Storage> workspace = workspace_for(call.dev, plan);
  const float one = 1.f, zero = 0.f;
  dnn_check(dnn,
            dnn.conv_forward(handle, &one, plan.x, x.data(), plan.w, w.data(), plan.conv, plan.algo,
                             workspace ? workspace->data() : nullptr, plan.workspace, &zero, plan.y, out.data()),
            "cudnnConvolutionForward", what);
  if (bias.defined())
    dnn_check(dnn, dnn.add_tensor(handle, &one, plan.bias, bias.data(), &one, plan.y, out.data()), "cudnnAddTensor",
              what + " (bias)");
  if (plan.act)
    dnn_check(dnn, dnn.act_forward(handle, plan.act, &one, plan.y, out.data(), &zero, plan.y, out.data()),
              "cudnnActivationForward", what + " (post-op)");
}

// A gradient of a convolution from its output gradient dy: of the input
// (`data`: result dx [N, C, H, W], from the weight) or of the weight (result
// dw [O, C/groups, kH, kW], contiguous, from the input).
void convolution_gradient(const char* op, bool data, const Tensor& dy, const Tensor& operand, const ConvShape& c,
                          const Tensor& result) {
  DnnCall call(result.device().index);
  const Cudnn& dnn = call.dnn;
  const cudnnHandle_t handle = call.state.handle;
  const Tensor& x = data ? result : operand;
  const Tensor& w = data ? operand : result;
  const std::string what = std::string(op) + " of " + dy.describe() + " with " + operand.describe();
  const ConvPlan& plan = conv_plan(call, op, conv_key(op, x, w, dy, c), x, w, dy, c, what, [&](ConvPlan& p) {
    // The two perf structs are one layout (cudnn_abi.h); the filter list is the longer.
    cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT] = {};
    int count = 0;
    if (data) {
      dnn_check(dnn,
                dnn.get_data_algos(handle, p.w, p.y, p.conv, p.x, CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &count, perf),
                "cudnnGetConvolutionBackwardDataAlgorithm_v7", what);
      p.algo = choose_algo(op, perf, count, what);
      dnn_check(dnn, dnn.data_workspace_size(handle, p.w, p.y, p.conv, p.x, p.algo, &p.workspace),
                "cudnnGetConvolutionBackwardDataWorkspaceSize", what);
    } else {
      dnn_check(dnn,
                dnn.get_filter_algos(handle, p.x, p.y, p.conv, p.w, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, &count,
                                     perf),
                "cudnnGetConvolutionBackwardFilterAlgorithm_v7", what);
      p.algo = choose_algo(op, perf, count, what);
      dnn_check(dnn, dnn.filter_workspace_size(handle, p.x, p.y, p.conv, p.w, p.algo, &p.workspace),
                "cudnnGetConvolutionBackwardFilterWorkspaceSize", what);
    }
  });
  std::shared_ptr<Storage> workspace = workspace_for(call.dev, plan);
  void* space = workspace ? workspace->data() : nullptr;
  const float one = 1.f, zero = 0.f;
  if (data)
    dnn_check(dnn,
              dnn.conv_backward_data(handle, &one, plan.w, w.data(), plan.y, dy.data(), plan.conv, plan.algo, space,
                                     plan.workspace, &zero, plan.x, x.data()),
              "cudnnConvolutionBackwardData", what);
  else
    dnn_check(dnn,
              dnn.conv_backward_filter(handle, &one, plan.x, x.data(), plan.y, dy.data(), plan.conv, plan.algo, space,
                                       plan.workspace, &zero, plan.w, w.data()),
              "cudnnConvolutionBackwardFilter", what);
}

void check_bias(const char* op, const Tensor& bias, const Tensor& w, int device) {
  if (!bias.defined()) return;
  check_cuda_f32(op, "bias", bias, device);
  if (bias.dim() != 1 || bias.size(0) != w.size(0))
    throw Error("expected a bias of shape [" + std::to_string(w.size(0)) + "], got " +
                    shape_str(bias.sizes()),
                {}, op);
}

const PoolPlan& pool_plan(DnnCall& call, const char* op, const Tensor& x, int mode, const Int2& kernel,
                          const Int2& stride, const Int2& padding, const Tensor& y) {
  const Cudnn& dnn = call.dnn;
  std::string key = std::string(op) + layout_key(x) + layout_key(y) + std::to_string(mode);
  for (int i = 0; i < 2; ++i)
    key += "," + std::to_string(kernel[i]) + "," + std::to_string(stride[i]) + "," + std::to_string(padding[i]);
  auto it = call.state.pools.find(key);
  if (it != call.state.pools.end()) return *it->second;
  const std::string what = std::string(op) + " of " + x.describe();
  auto plan = std::make_unique<PoolPlan>();
  plan->x = tensor_desc(dnn, op, x);
  plan->y = tensor_desc(dnn, op, y);
  dnn_check(dnn, dnn.create_pool(&plan->pool), "cudnnCreatePoolingDescriptor", what);
  dnn_check(dnn,
            dnn.set_pool2d(plan->pool, mode, CUDNN_PROPAGATE_NAN, to_int(op, kernel[0]), to_int(op, kernel[1]),
                           to_int(op, padding[0]), to_int(op, padding[1]), to_int(op, stride[0]),
                           to_int(op, stride[1])),
            "cudnnSetPooling2dDescriptor", what);
  return *call.state.pools.emplace(key, std::move(plan)).first->second;
}

void pool(const char* op, const Tensor& x, int mode, const Int2& kernel, const Int2& stride,
          const Int2& padding, const Tensor& out) {
  if (out.numel() == 0) return;
  DnnCall call(out.device().index);
  const PoolPlan& plan = pool_plan(call, op, x, mode, kernel, stride, padding, out);
  const float one = 1.f, zero = 0.f;
  dnn_check(call.dnn,
            call.dnn.pool_forward(call.state.handle, plan.pool, &one, plan.x, x.data(), &zero, plan.y, out.data()),
            "cudnnPoolingForward", std::string(op) + " of " + x.describe());
}

// dx from dy; y (the forward output) and x are read by max pooling only,
// average pooling takes any tensors of their shapes.
void pool_backward(const char* op, const Tensor& dy, const Tensor& y, const Tensor& x, int mode,
                   const Int2& kernel, const Int2& stride, const Int2& padding, const Tensor& dx) {
  if (dx.numel() == 0) return;
  DnnCall call(dx.device().index);
  const PoolPlan& plan = pool_plan(call, op, dx, mode, kernel, stride, padding, dy);
  const float one = 1.f, zero = 0.f;
  dnn_check(call.dnn,
            call.dnn.pool_backward(call.state.handle, plan.pool, &one, plan.y, y.data(), plan.y, dy.data(), plan.x,
                                   x.data(), &zero, plan.x, dx.data()),
            "cudnnPoolingBackward", std::string(op) + " of " + dy.describe());
}

}  // namespace

bool cudnn_fuses(const Epilogue& e) {
  int mode = 0;
  double coef = 0;
  return e.op == PostOp::none || activation_of(e, &mode, &coef);
}

bool cudnn_pools(const std::vector<int64_t>& input, const MaxPool2dParams& p) {
  if (p.dilation != Int2{1, 1}) return false;
  if (!p.ceil_mode) return true;
  MaxPool2dParams floor = p;
  floor.ceil_mode = false;
  return max_pool2d_output_sizes(input, p) == max_pool2d_output_sizes(input, floor);
}

bool cudnn_pools(const std::vector<int64_t>& input, const AvgPool2dParams& p) {
  if (p.divisor_override != 0) return false;
  if (!p.ceil_mode) return true;
  AvgPool2dParams floor = p;
  floor.ceil_mode = false;
  return avg_pool2d_output_sizes(input, p) == avg_pool2d_output_sizes(input, floor);
}

void cuda_conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dParams& p,
                 Tensor& out, const Epilogue& epilogue) {
  const int device = check_cuda_f32("conv2d", "input", x);
  check_cuda_f32("conv2d", "weight", weight, device);
  check_cuda_output("conv2d", out, conv2d_output_sizes(x.sizes(), weight.sizes(), p), device);
  check_bias("conv2d", bias, weight, device);
  const int64_t stride[2] = {p.stride[0], p.stride[1]};
  const int64_t padding[2] = {p.padding[0], p.padding[1]};
  const int64_t dilation[2] = {p.dilation[0], p.dilation[1]};
  convolution("conv2d", with_rank(x, 4), cuda_contiguous(weight),
              bias.defined() ? cuda_contiguous(bias) : Tensor(), {stride, padding, dilation, p.groups},
              with_rank(out, 4), epilogue);
}

void cuda_conv1d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv1dParams& p,
                 Tensor& out, const Epilogue& epilogue) {
  const int device = check_cuda_f32("conv1d", "input", x);
  check_cuda_f32("conv1d", "weight", weight, device);
  check_cuda_output("conv1d", out, conv1d_output_sizes(x.sizes(), weight.sizes(), p), device);
  check_bias("conv1d", bias, weight, device);
  const int64_t stride[2] = {1, p.stride};
  const int64_t padding[2] = {0, p.padding};
  const int64_t dilation[2] = {1, p.dilation};
  convolution("conv1d", as_2d(with_rank(x, 3)), as_2d(cuda_contiguous(weight)),
              bias.defined() ? cuda_contiguous(bias) : Tensor(), {stride, padding, dilation, p.groups},
              as_2d(with_rank(out, 3)), epilogue);
}

void cuda_max_pool2d(const Tensor& x, const MaxPool2dParams& p, Tensor& out) {
  const int device = check_cuda_f32("max_pool2d", "input", x);
  check_cuda_output("max_pool2d", out, max_pool2d_output_sizes(x.sizes(), p), device);
  if (!cudnn_pools(x.sizes(), p))
    throw Error("the GPU max_pool2d (cuDNN) takes neither dilation nor a ceil_mode that adds a "
                "window; a generated kernel must do this one",
                {}, "max_pool2d");
  pool("max_pool2d", with_rank(x, 4), CUDNN_POOLING_MAX, p.kernel, p.stride, p.padding,
       with_rank(out, 4));
}

void cuda_avg_pool2d(const Tensor& x, const AvgPool2dParams& p, Tensor& out) {
  const int device = check_cuda_f32("avg_pool2d", "input", x);
  check_cuda_output("avg_pool2d", out, avg_pool2d_output_sizes(x.sizes(), p), device);
  if (!cudnn_pools(x.sizes(), p))
    throw Error("the GPU avg_pool2d (cuDNN) takes neither divisor_override nor a ceil_mode that "
                "adds a window; a generated kernel must do this one",
                {}, "avg_pool2d");
  pool("avg_pool2d", with_rank(x, 4),
       p.count_include_pad ? CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING
                           : CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING,
       p.kernel, p.stride, p.padding, with_rank(out, 4));
}

namespace {

// A convolution gradient's operand as a 4-D view: a batch of one when
// unbatched, height 1 for a 1-D convolution.
Tensor conv_operand(const Tensor& t, size_t spatial) {
  Tensor b = with_rank(t, static_cast<int>(spatial) + 2);
  return spatial == 2 ? b : as_2d(b);
}

// The 4-D geometry of a convolution gradient, in `storage`.
ConvShape conv_shape(const ConvBackwardParams& p, int64_t (&storage)[3][2]) {
  const bool one_d = p.stride.size() == 1;
  for (int i = 0; i < 2; ++i) {
    const size_t k = one_d ? 0 : static_cast<size_t>(i);
    const bool real = !one_d || i == 1;
    storage[0][i] = real ? p.stride[k] : 1;
    storage[1][i] = real ? p.padding[k] : 0;
    storage[2][i] = real ? p.dilation[k] : 1;
  }
  return {storage[0], storage[1], storage[2], p.groups};
}

void check_contiguous_output(const char* op, const Tensor& out) {
  if (!out.is_contiguous())
    throw Error("the GPU " + std::string(op) + " writes a contiguous gradient, got strides " +
                    shape_str(out.strides()),
                {}, op);
}

// Checks and runs either gradient: of the input (`data`, from the weight)
// or of the weight (from the input), into `out`.
void conv_gradient_call(const char* op, bool data, const Tensor& grad_output, const Tensor& operand,
                        const ConvBackwardParams& p, Tensor& out) {
  const int device = check_cuda_f32(op, "output gradient", grad_output);
  check_cuda_f32(op, data ? "weight" : "input", operand, device);
  check_cuda_f32(op, data ? "input gradient" : "weight gradient", out, device);
  check_conv_grad_output(op, grad_output.sizes(), data ? out.sizes() : operand.sizes(),
                         data ? operand.sizes() : out.sizes(), p);
  check_contiguous_output(op, out);
  if (out.numel() == 0) return;
  if (grad_output.numel() == 0 || operand.numel() == 0) return cuda_memset(out, 0);
  const size_t spatial = p.stride.size();
  int64_t storage[3][2];
  convolution_gradient(op, data, conv_operand(grad_output, spatial),
                       conv_operand(data ? cuda_contiguous(operand) : operand, spatial), conv_shape(p, storage),
                       conv_operand(out, spatial));
}

}  // namespace

void cuda_conv_input_backward(const Tensor& grad_output, const Tensor& weight, const ConvBackwardParams& p,
                              Tensor& out) {
  conv_gradient_call("conv_input_backward", true, grad_output, weight, p, out);
}

void cuda_conv_weight_backward(const Tensor& grad_output, const Tensor& input, const ConvBackwardParams& p,
                               Tensor& out) {
  conv_gradient_call("conv_weight_backward", false, grad_output, input, p, out);
}

void cuda_max_pool2d_backward(const Tensor& grad_output, const Tensor& input, const MaxPool2dParams& p,
                              Tensor& out) {
  const char* op = "max_pool2d_backward";
  const int device = check_cuda_f32(op, "output gradient", grad_output);
  check_cuda_f32(op, "input", input, device);
  check_cuda_output(op, out, input.sizes(), device);
  check_cuda_output(op, grad_output, max_pool2d_output_sizes(input.sizes(), p), device);
  if (!cudnn_pools(input.sizes(), p))
    throw Error("the GPU max_pool2d_backward (cuDNN) takes neither dilation nor a ceil_mode that adds a window",
                {}, op);
  // cuDNN finds each window's maximum by comparing the input with the
  // forward output, which is computed again here.
  Tensor y = cuda_empty(DType::f32, grad_output.sizes(), device);
  cuda_max_pool2d(input, p, y);
  pool_backward(op, with_rank(grad_output, 4), with_rank(y, 4), with_rank(input, 4), CUDNN_POOLING_MAX, p.kernel,
                p.stride, p.padding, with_rank(out, 4));
}

void cuda_avg_pool2d_backward(const Tensor& grad_output, const AvgPool2dParams& p, Tensor& out) {
  const char* op = "avg_pool2d_backward";
  const int device = check_cuda_f32(op, "output gradient", grad_output);
  check_cuda_f32(op, "input gradient", out, device);
  check_cuda_output(op, grad_output, avg_pool2d_output_sizes(out.sizes(), p), device);
  if (!cudnn_pools(out.sizes(), p))
    throw Error("the GPU avg_pool2d_backward (cuDNN) takes neither divisor_override nor a ceil_mode that adds "
                "a window",
                {}, op);
  // Average pooling reads neither the forward input nor its output: the
  // gradients stand in for them.
  const Tensor dy = with_rank(grad_output, 4), dx = with_rank(out, 4);
  pool_backward(op, dy, dy, dx,
                p.count_include_pad ? CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING
                                    : CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING,
                p.kernel, p.stride, p.padding, dx);
}

size_t cudnn_version() { return cudnn().get_version(); }

std::string cudnn_path() { return cudnn().lib.path; }

}  // namespace wick::rt
