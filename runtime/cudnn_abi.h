// The part of cuDNN 9 that wick uses, declared here so that the runtime
// builds without cuDNN's headers. Values are copied from cudnn_graph.h,
// cudnn_ops.h and cudnn_cnn.h of cuDNN 9.19 (the legacy convolution,
// activation, tensor-add and pooling API; cuDNN 9 still ships it, marked
// deprecated); comments name the enum each comes from. The library itself is
// opened with dlopen (cudnn_conv.cpp).
#pragma once

#include <cstddef>
#include <cstdint>

namespace wick::cudnn_api {

// cudnn_graph.h: cudnnStatus_t (only success is tested; the library names the rest).
using cudnnStatus_t = int;
inline constexpr cudnnStatus_t CUDNN_STATUS_SUCCESS = 0;

// cudnn_graph.h / cudnn_ops.h / cudnn_cnn.h: opaque handles.
struct cudnnContext;
using cudnnHandle_t = cudnnContext*;
struct cudnnTensorStruct;
using cudnnTensorDescriptor_t = cudnnTensorStruct*;
struct cudnnFilterStruct;
using cudnnFilterDescriptor_t = cudnnFilterStruct*;
struct cudnnConvolutionStruct;
using cudnnConvolutionDescriptor_t = cudnnConvolutionStruct*;
struct cudnnActivationStruct;
using cudnnActivationDescriptor_t = cudnnActivationStruct*;
struct cudnnPoolingStruct;
using cudnnPoolingDescriptor_t = cudnnPoolingStruct*;

// cudnn_graph.h: cudnnDataType_t, cudnnMathType_t, cudnnNanPropagation_t,
// cudnnTensorFormat_t, cudnnActivationMode_t, cudnnConvolutionMode_t.
inline constexpr int CUDNN_DATA_FLOAT = 0;
inline constexpr int CUDNN_DEFAULT_MATH = 0;
inline constexpr int CUDNN_TENSOR_OP_MATH = 1;
inline constexpr int CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION = 2;
inline constexpr int CUDNN_FMA_MATH = 3;  // plain fp32: no TF32
inline constexpr int CUDNN_PROPAGATE_NAN = 1;
inline constexpr int CUDNN_TENSOR_NCHW = 0;
inline constexpr int CUDNN_ACTIVATION_SIGMOID = 0;
inline constexpr int CUDNN_ACTIVATION_RELU = 1;
inline constexpr int CUDNN_ACTIVATION_TANH = 2;
inline constexpr int CUDNN_ACTIVATION_CLIPPED_RELU = 3;
inline constexpr int CUDNN_ACTIVATION_SWISH = 6;
inline constexpr int CUDNN_CROSS_CORRELATION = 1;  // what PyTorch's conv computes

// cudnn_ops.h: cudnnPoolingMode_t.
inline constexpr int CUDNN_POOLING_MAX = 0;
inline constexpr int CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING = 1;
inline constexpr int CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING = 2;

// cudnn_ops.h: cudnnConvolutionFwdAlgo_t, cudnnConvolutionBwdDataAlgo_t and
// cudnnConvolutionBwdFilterAlgo_t (their _COUNT), cudnnDeterminism_t.
inline constexpr int CUDNN_CONVOLUTION_FWD_ALGO_COUNT = 8;
inline constexpr int CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT = 6;
inline constexpr int CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT = 7;
inline constexpr int CUDNN_DETERMINISTIC = 1;

// cudnn_cnn.h: cudnnConvolutionFwdAlgoPerf_t; cudnnConvolutionBwdDataAlgoPerf_t
// and cudnnConvolutionBwdFilterAlgoPerf_t have the same fields.
struct cudnnConvolutionFwdAlgoPerf_t {
  int algo;           // cudnnConvolution{Fwd,BwdData,BwdFilter}Algo_t
  cudnnStatus_t status;
  float time;
  size_t memory;
  int determinism;    // cudnnDeterminism_t
  int mathType;       // cudnnMathType_t
  int reserved[3];
};
static_assert(sizeof(cudnnConvolutionFwdAlgoPerf_t) == 48, "as in cudnn_cnn.h");
using cudnnConvolutionBwdDataAlgoPerf_t = cudnnConvolutionFwdAlgoPerf_t;
using cudnnConvolutionBwdFilterAlgoPerf_t = cudnnConvolutionFwdAlgoPerf_t;

}  // namespace wick::cudnn_api
