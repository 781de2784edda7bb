/* The LibTorch peer that `wick bench` runs beside wick: a plugin library with
 * a plain C interface, so that the `wick` binary never links LibTorch and
 * loads the peer with dlopen only when benchmarking. It runs a TorchScript
 * file the way a LibTorch user would (torch::jit::load, eval, forward under
 * NoGradGuard, default graph executor). No C++ exception crosses this
 * interface: a failing call returns an error code (or NULL) and
 * wick_torch_peer_last_error() says why. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifdef WICK_TORCH_PEER_BUILD
#define WICK_TORCH_PEER_API __attribute__((visibility("default")))
#else
#define WICK_TORCH_PEER_API
#endif

/* Bumped whenever a signature below changes; the caller checks it. */
#define WICK_TORCH_PEER_ABI_VERSION 1

/* Element types, numbered as wick's DType. */
enum WickPeerDType {
  WICK_PEER_F32 = 0,
  WICK_PEER_F64 = 1,
  WICK_PEER_F16 = 2,
  WICK_PEER_BF16 = 3,
  WICK_PEER_I64 = 4,
  WICK_PEER_I32 = 5,
  WICK_PEER_I16 = 6,
  WICK_PEER_I8 = 7,
  WICK_PEER_U8 = 8,
  WICK_PEER_BOOL = 9,
};

/* A contiguous, row-major CPU tensor owned by the caller; ndim -1 (sizes and
 * data null) passes None, for an Optional argument left out. */
typedef struct WickPeerTensor {
  int dtype; /* a WickPeerDType */
  int ndim;
  const int64_t* sizes;
  void* data; /* read in place, never copied; must stay valid during the call */
} WickPeerTensor;

/* An output of the last forward call. `sizes` stays valid until the next
 * forward call or wick_torch_peer_free. */
typedef struct WickPeerOutputInfo {
  int dtype;
  int ndim;
  const int64_t* sizes;
  size_t nbytes;
} WickPeerOutputInfo;

typedef struct WickPeerModel WickPeerModel;

WICK_TORCH_PEER_API int wick_torch_peer_abi_version(void);

/* The message of the last failing call on this thread ("" if none). */
WICK_TORCH_PEER_API const char* wick_torch_peer_last_error(void);

/* Threads for LibTorch's intra-op parallelism, which also sets OpenMP's and
 * the BLAS library's; the inter-op pool is sized too the first time (LibTorch
 * allows that only once per process). Returns 0 on success. */
WICK_TORCH_PEER_API int wick_torch_peer_set_num_threads(int threads);

/* Loads a TorchScript file onto the CPU in eval mode; NULL on failure. */
WICK_TORCH_PEER_API WickPeerModel* wick_torch_peer_load(const char* path);
WICK_TORCH_PEER_API void wick_torch_peer_free(WickPeerModel* model);

/* Runs forward on `inputs` without gradients. The outputs (tuples, lists and
 * dict values flattened depth first; Python scalars as 0-dim tensors) stay in the
 * model until the next call. Returns 0 on success. */
WICK_TORCH_PEER_API int wick_torch_peer_forward(WickPeerModel* model, const WickPeerTensor* inputs, int num_inputs);

/* The number of outputs of the last successful forward call. */
WICK_TORCH_PEER_API int wick_torch_peer_num_outputs(const WickPeerModel* model);
/* Describes output `index`; returns 0 on success. */
WICK_TORCH_PEER_API int wick_torch_peer_output_info(const WickPeerModel* model, int index, WickPeerOutputInfo* info);
/* Copies output `index` into `dst`, contiguous, row-major; `nbytes` must be
 * its size. Returns 0 on success. */
WICK_TORCH_PEER_API int wick_torch_peer_output_copy(const WickPeerModel* model, int index, void* dst, size_t nbytes);

#ifdef __cplusplus
}
#endif
