// Convolution and pooling on cuDNN's legacy API; see cudnn_conv.h.
#include "runtime/cudnn_conv.h"

#include <climits>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "runtime/cuda_device.h"
#include "runtime/cuda_kernel_util.h"
#include "runtime/cuda_library.h"
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

// x [N, C, H, W], w [O, C/groups, kH, kW] (contiguous), out [N, O, oH, oW].
void convolution(const char* op, const Tensor& x, const Tensor& w, const Tensor& bias,
                 const int64_t* stride, const int64_t* padding, const int64_t* dilation,
                 int64_t groups, const Tensor& out, const Epilogue& e) {
  int act_mode = 0;
  double act_coef = 0;
  if (e.op != PostOp::none && !activation_of(e, &act_mode, &act_coef))
    throw Error("cuDNN cannot apply this post-op (" + std::to_string(static_cast<int>(e.op)) +
                    ") to a convolution; the plan must run it as a separate kernel",
                {}, op);
  if (out.numel() == 0) return;
  if (x.numel() == 0)
    throw Error("the GPU " + std::string(op) + " does not take an input with no channels", {}, op);
  const int device = out.device().index;
  const CudaDevice& dev = cuda_device(device);  // no driver: say so before looking for cuDNN
  const Cudnn& dnn = cudnn();
  DnnDevice& state = dnn_device(dnn, device);
  std::lock_guard<std::mutex> lock(state.mutex);
  dev.make_current();

  std::string key = std::string(op) + layout_key(x) + layout_key(w) + layout_key(out);
  for (int i = 0; i < 2; ++i)
    key += "," + std::to_string(stride[i]) + "," + std::to_string(padding[i]) + "," +
           std::to_string(dilation[i]);
  key += "g" + std::to_string(groups) + (bias.defined() ? "b" : "") + "a" +
         std::to_string(static_cast<int>(e.op)) + "," + std::to_string(e.beta);
  auto it = state.convs.find(key);
  if (it == state.convs.end()) {
    auto plan = std::make_unique<ConvPlan>();
    const std::string what = std::string(op) + " of " + x.describe() + " with " + w.describe();
    plan->x = tensor_desc(dnn, op, x);
    plan->y = tensor_desc(dnn, op, out);
    int wdims[4];
    for (int d = 0; d < 4; ++d) wdims[d] = to_int(op, w.size(d));
    dnn_check(dnn, dnn.create_filter(&plan->w), "cudnnCreateFilterDescriptor", what);
    dnn_check(dnn, dnn.set_filter(plan->w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, 4, wdims),
              "cudnnSetFilterNdDescriptor", what);
    int pad[2], str[2], dil[2];
    for (int i = 0; i < 2; ++i) {
      pad[i] = to_int(op, padding[i]);
      str[i] = to_int(op, stride[i]);
      dil[i] = to_int(op, dilation[i]);
    }
    dnn_check(dnn, dnn.create_conv(&plan->conv), "cudnnCreateConvolutionDescriptor", what);
    dnn_check(dnn, dnn.set_conv(plan->conv, 2, pad, str, dil, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT),
              "cudnnSetConvolutionNdDescriptor", what);
    dnn_check(dnn, dnn.set_groups(plan->conv, to_int(op, groups)), "cudnnSetConvolutionGroupCount",
              what);
    dnn_check(dnn, dnn.set_math(plan->conv, CUDNN_FMA_MATH), "cudnnSetConvolutionMathType", what);
    cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT] = {};
    int count = 0;
    dnn_check(dnn,
              dnn.get_algos(state.handle, plan->x, plan->w, plan->conv, plan->y,
                            CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &count, perf),
              "cudnnGetConvolutionForwardAlgorithm_v7", what);
    // The first algorithm that runs in fp32 (the descriptor asks for FMA
    // math, which it keeps; tensor-op entries would mean TF32).
    int chosen = -1;
    for (int i = 0; i < count && chosen < 0; ++i)
      if (perf[i].status == CUDNN_STATUS_SUCCESS && perf[i].mathType != CUDNN_TENSOR_OP_MATH &&
          perf[i].mathType != CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION && perf[i].memory <= kMaxWorkspace)
        chosen = i;
    if (chosen < 0)
      throw Error("cuDNN offers no fp32 algorithm within a 256 MiB workspace for " + what, {}, op);
    plan->algo = perf[chosen].algo;
    dnn_check(dnn,
              dnn.workspace_size(state.handle, plan->x, plan->w, plan->conv, plan->y, plan->algo,
                                 &plan->workspace),
              "cudnnGetConvolutionForwardWorkspaceSize", what);
    if (bias.defined()) {
      const int bdims[4] = {1, to_int(op, w.size(0)), 1, 1};
      const int bstrides[4] = {bdims[1], 1, 1, 1};
      dnn_check(dnn, dnn.create_tensor(&plan->bias), "cudnnCreateTensorDescriptor", what);
      dnn_check(dnn, dnn.set_tensor(plan->bias, CUDNN_DATA_FLOAT, 4, bdims, bstrides),
                "cudnnSetTensorNdDescriptor", what + " (bias)");
    }
    if (e.op != PostOp::none) {
      dnn_check(dnn, dnn.create_act(&plan->act), "cudnnCreateActivationDescriptor", what);
      dnn_check(dnn, dnn.set_act(plan->act, act_mode, CUDNN_PROPAGATE_NAN, act_coef),
                "cudnnSetActivationDescriptor", what);
      if (act_mode == CUDNN_ACTIVATION_SWISH)
        dnn_check(dnn, dnn.set_swish_beta(plan->act, 1.0), "cudnnSetActivationDescriptorSwishBeta",
                  what);
    }
    it = state.convs.emplace(key, std::move(plan)).first;
  }
  const ConvPlan& plan = *it->second;
  std::shared_ptr<Storage> workspace;
  if (plan.workspace) workspace = dev.allocator().allocate(plan.workspace);
  const float one = 1.f, zero = 0.f;
  const std::string what = std::string(op) + " of " + x.describe() + " with " + w.describe();
  dnn_check(dnn,
            dnn.conv_forward(state.handle, &one, plan.x, x.data(), plan.w, w.data(), plan.conv,
                             plan.algo, workspace ? workspace->data() : nullptr, plan.workspace,
                             &zero, plan.y, out.data()),
            "cudnnConvolutionForward", what);
  if (bias.defined())
    dnn_check(dnn, dnn.add_tensor(state.handle, &one, plan.bias, bias.data(), &one, plan.y, out.data()),
              "cudnnAddTensor", what + " (bias)");
  if (plan.act)
    dnn_check(dnn,
              dnn.act_forward(state.handle, plan.act, &one, plan.y, out.data(), &zero, plan.y,
                              out.data()),
              "cudnnActivationForward", what + " (post-op)");
}

void check_bias(const char* op, const Tensor& bias, const Tensor& w, int device) {
  if (!bias.defined()) return;
  check_cuda_f32(op, "bias", bias, device);
  if (bias.dim() != 1 || bias.size(0) != w.size(0))
    throw Error("expected a bias of shape [" + std::to_string(w.size(0)) + "], got " +
                    shape_str(bias.sizes()),
                {}, op);
}

void pool(const char* op, const Tensor& x, int mode, const Int2& kernel, const Int2& stride,
          const Int2& padding, const Tensor& out) {
  if (out.numel() == 0) return;
  const int device = out.device().index;
  const CudaDevice& dev = cuda_device(device);  // no driver: say so before looking for cuDNN
  const Cudnn& dnn = cudnn();
  DnnDevice& state = dnn_device(dnn, device);
  std::lock_guard<std::mutex> lock(state.mutex);
  dev.make_current();
  std::string key = std::string(op) + layout_key(x) + layout_key(out) + std::to_string(mode);
  for (int i = 0; i < 2; ++i)
    key += "," + std::to_string(kernel[i]) + "," + std::to_string(stride[i]) + "," +
           std::to_string(padding[i]);
  auto it = state.pools.find(key);
  const std::string what = std::string(op) + " of " + x.describe();
  if (it == state.pools.end()) {
    auto plan = std::make_unique<PoolPlan>();
    plan->x = tensor_desc(dnn, op, x);
    plan->y = tensor_desc(dnn, op, out);
    dnn_check(dnn, dnn.create_pool(&plan->pool), "cudnnCreatePoolingDescriptor", what);
    dnn_check(dnn,
              dnn.set_pool2d(plan->pool, mode, CUDNN_PROPAGATE_NAN, to_int(op, kernel[0]),
                             to_int(op, kernel[1]), to_int(op, padding[0]), to_int(op, padding[1]),
                             to_int(op, stride[0]), to_int(op, stride[1])),
              "cudnnSetPooling2dDescriptor", what);
    it = state.pools.emplace(key, std::move(plan)).first;
  }
  const PoolPlan& plan = *it->second;
  const float one = 1.f, zero = 0.f;
  dnn_check(dnn,
            dnn.pool_forward(state.handle, plan.pool, &one, plan.x, x.data(), &zero, plan.y,
                             out.data()),
            "cudnnPoolingForward", what);
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
              bias.defined() ? cuda_contiguous(bias) : Tensor(), stride, padding, dilation, p.groups,
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
              bias.defined() ? cuda_contiguous(bias) : Tensor(), stride, padding, dilation, p.groups,
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

size_t cudnn_version() { return cudnn().get_version(); }

std::string cudnn_path() { return cudnn().lib.path; }

}  // namespace wick::rt
