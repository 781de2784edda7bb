// The part of cuBLASLt that wick uses, declared here so that the runtime
// builds without the CUDA toolkit. Values are copied from the toolkit's
// cublasLt.h, cublas_api.h and library_types.h (CUDA 13.0); comments name
// the enum each comes from. The library itself is opened with dlopen
// (cublaslt_gemm.cpp).
#pragma once

#include <cstddef>
#include <cstdint>

namespace wick::cublaslt_api {

// cublas_api.h: cublasStatus_t.
using cublasStatus_t = int;
inline constexpr cublasStatus_t CUBLAS_STATUS_SUCCESS = 0;
inline constexpr cublasStatus_t CUBLAS_STATUS_NOT_SUPPORTED = 15;

// cublas_api.h: cublasOperation_t, cublasComputeType_t.
inline constexpr int32_t CUBLAS_OP_N = 0;
inline constexpr int32_t CUBLAS_OP_T = 1;
using cublasComputeType_t = int;
inline constexpr cublasComputeType_t CUBLAS_COMPUTE_32F = 68;  // plain fp32: no TF32

// library_types.h: cudaDataType_t.
using cudaDataType_t = int;
inline constexpr cudaDataType_t CUDA_R_32F = 0;

// cublasLt.h: opaque handles and semi-opaque structs.
struct cublasLtContext;
using cublasLtHandle_t = cublasLtContext*;
struct cublasLtMatmulDescOpaque_t {
  uint64_t data[32];
};
using cublasLtMatmulDesc_t = cublasLtMatmulDescOpaque_t*;
struct cublasLtMatrixLayoutOpaque_t {
  uint64_t data[8];
};
using cublasLtMatrixLayout_t = cublasLtMatrixLayoutOpaque_t*;
struct cublasLtMatmulPreferenceOpaque_t {
  uint64_t data[8];
};
using cublasLtMatmulPreference_t = cublasLtMatmulPreferenceOpaque_t*;
struct cublasLtMatmulAlgo_t {
  uint64_t data[8];
};
struct cublasLtMatmulHeuristicResult_t {
  cublasLtMatmulAlgo_t algo;
  size_t workspaceSize;
  cublasStatus_t state;
  float wavesCount;
  int reserved[4];
};
static_assert(sizeof(cublasLtMatmulHeuristicResult_t) == 96, "as in cublasLt.h");

// cublasLt.h: cublasLtMatmulDescAttributes_t (value types in comments).
using cublasLtMatmulDescAttributes_t = int;
inline constexpr int CUBLASLT_MATMUL_DESC_TRANSA = 3;             // int32_t
inline constexpr int CUBLASLT_MATMUL_DESC_TRANSB = 4;             // int32_t
inline constexpr int CUBLASLT_MATMUL_DESC_EPILOGUE = 7;           // uint32_t
inline constexpr int CUBLASLT_MATMUL_DESC_BIAS_POINTER = 8;       // const void*
inline constexpr int CUBLASLT_MATMUL_DESC_BIAS_BATCH_STRIDE = 10; // int64_t

// cublasLt.h: cublasLtEpilogue_t.
inline constexpr uint32_t CUBLASLT_EPILOGUE_DEFAULT = 1;
inline constexpr uint32_t CUBLASLT_EPILOGUE_RELU = 2;
inline constexpr uint32_t CUBLASLT_EPILOGUE_BIAS = 4;
inline constexpr uint32_t CUBLASLT_EPILOGUE_RELU_BIAS = 2 | 4;
inline constexpr uint32_t CUBLASLT_EPILOGUE_GELU = 32;  // the tanh approximation
inline constexpr uint32_t CUBLASLT_EPILOGUE_GELU_BIAS = 32 | 4;

// cublasLt.h: cublasLtMatrixLayoutAttribute_t.
using cublasLtMatrixLayoutAttribute_t = int;
inline constexpr int CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT = 5;           // int32_t
inline constexpr int CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET = 6;  // int64_t

// cublasLt.h: cublasLtMatmulPreferenceAttributes_t.
using cublasLtMatmulPreferenceAttributes_t = int;
inline constexpr int CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES = 1;    // uint64_t
inline constexpr int CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES = 5;  // uint32_t
inline constexpr int CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES = 6;
inline constexpr int CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES = 7;
inline constexpr int CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES = 8;

}  // namespace wick::cublaslt_api
