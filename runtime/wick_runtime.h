/* The wick runtime's C interface: open a model directory written by
 * `wick compile`, ask for its inputs and outputs, run it. Plain C, opaque
 * handles, no exceptions: every function that can fail returns a wick_status
 * (WICK_OK is 0) and leaves a message for wick_last_error(), so R, Python or
 * any FFI can bind it without C++ ABI trouble.
 *
 * Tensors are dense, row-major (C order) and little-endian. A model may be
 * run from several threads at once; a wick_tensor must not be freed while
 * another thread uses it.
 */
#ifndef WICK_RUNTIME_H
#define WICK_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WICK_MAX_RANK 16

typedef enum wick_status {
  WICK_OK = 0,
  WICK_ERROR_ARGUMENT = 1,  /* a null pointer, an index out of range, a bad dtype or rank */
  WICK_ERROR_ARTIFACT = 2,  /* the model directory is missing, corrupt, or from another wick version */
  WICK_ERROR_CPU = 3,       /* the model was compiled for CPU features this CPU lacks */
  WICK_ERROR_INPUT = 4,     /* inputs or output buffers of the wrong count, dtype, shape or size */
  WICK_ERROR_RUN = 5,       /* the model failed while running (e.g. it raised an exception) */
  WICK_ERROR_FILE = 6,      /* a .npy file could not be read or written */
  WICK_ERROR_MEMORY = 7,    /* out of memory */
  WICK_ERROR_INTERNAL = 8,  /* a bug in wick */
  WICK_ERROR_DEVICE = 9     /* the model runs on an NVIDIA GPU and this machine has no driver, no such
                               device, or a GPU older than the model's code */
} wick_status;

/* Element types; the values are stable. */
typedef enum wick_dtype {
  WICK_FLOAT32 = 0,
  WICK_FLOAT64 = 1,
  WICK_FLOAT16 = 2,
  WICK_BFLOAT16 = 3,
  WICK_INT64 = 4,
  WICK_INT32 = 5,
  WICK_INT16 = 6,
  WICK_INT8 = 7,
  WICK_UINT8 = 8,
  WICK_BOOL = 9 /* one byte per element */
} wick_dtype;

typedef struct wick_model wick_model;
typedef struct wick_tensor wick_tensor;

/* A caller-owned dense tensor: what inputs are passed as, and the output
 * buffers wick_model_run fills. */
typedef struct wick_buffer {
  void* data;
  size_t nbytes; /* bytes available at data; checked against dtype and sizes */
  wick_dtype dtype;
  int32_t rank;
  const int64_t* sizes; /* rank entries */
} wick_buffer;

/* The runtime's version, e.g. "0.1.0". */
const char* wick_runtime_version(void);
/* The message of the last failed call on this thread ("" if none). Valid
 * until the next failing call on this thread. */
const char* wick_last_error(void);
/* "float32", "int64", ...; NULL for a value that names no dtype. */
const char* wick_dtype_name(wick_dtype dtype);
size_t wick_dtype_size(wick_dtype dtype);

/* Threads used by kernels and library calls (n >= 1); the default is the
 * WICK_NUM_THREADS environment variable, else the number of hardware threads. */
wick_status wick_set_num_threads(int n);
int wick_get_num_threads(void);

/* Opens a directory written by `wick compile`, checking its files, its wick
 * version and that this CPU can run its code. A model compiled with
 * `--device cuda` is loaded onto the GPU here: the one the WICK_CUDA_DEVICE
 * environment variable numbers, else the first. On failure *model is NULL. */
wick_status wick_model_open(const char* dir, wick_model** model);
void wick_model_close(wick_model* model); /* NULL is fine */
/* Where the model runs: "cpu" or "cuda" (static strings). Inputs and outputs
 * are host memory either way. NULL (with an error message) for a NULL model. */
const char* wick_model_device(const wick_model* model);

/* Counts, or -1 (with an error message) for a NULL model. */
int64_t wick_model_num_inputs(const wick_model* model);
int64_t wick_model_num_outputs(const wick_model* model);
/* The name of input/output i, owned by the model; NULL on error. */
const char* wick_model_input_name(const wick_model* model, int64_t i);
const char* wick_model_output_name(const wick_model* model, int64_t i);
/* The dtype, rank and sizes (WICK_MAX_RANK entries of room) the model was
 * compiled for. Any of the out pointers may be NULL.
 *
 * A model compiled with dynamic dims (`wick compile --dynamic-dim`) runs
 * inputs of any size in those dims; their sizes here are -1. Each dynamic
 * dim is a multiple of a named symbol ("B", or "3*B" for three times it),
 * and every input dim of one symbol must have the same value in a run: the
 * inputs fix the symbols, and the symbols fix the outputs' sizes. */
wick_status wick_model_input_info(const wick_model* model, int64_t i, wick_dtype* dtype, int32_t* rank,
                                  int64_t* sizes);
wick_status wick_model_output_info(const wick_model* model, int64_t i, wick_dtype* dtype, int32_t* rank,
                                   int64_t* sizes);
/* The shape of input/output i as text, dynamic dims by their symbol: "[B, 14]",
 * "[3*B]", "[16, 32]". Owned by the model; NULL on error. */
const char* wick_model_input_shape(const wick_model* model, int64_t i);
const char* wick_model_output_shape(const wick_model* model, int64_t i);
/* The rank and sizes (WICK_MAX_RANK entries of room) output i has when the
 * model runs on these inputs, which are checked as by wick_model_run
 * (WICK_ERROR_INPUT when they do not fit). Either out pointer may be NULL. */
wick_status wick_model_output_sizes(const wick_model* model, const wick_buffer* inputs, size_t num_inputs, int64_t i,
                                    int32_t* rank, int64_t* sizes);

/* Runs the model. Inputs are read in place; each output is written into the
 * caller's buffer, whose dtype must match wick_model_output_info and whose
 * sizes must be those the inputs give it (wick_model_output_sizes: the sizes
 * of wick_model_output_info with the dynamic dims' values of these inputs).
 * Nothing runs when an input or buffer does not match (WICK_ERROR_INPUT). */
wick_status wick_model_run(wick_model* model, const wick_buffer* inputs, size_t num_inputs,
                           const wick_buffer* outputs, size_t num_outputs);
/* As wick_model_run, but the runtime allocates the outputs: outputs[i]
 * receives a new tensor to free with wick_tensor_free (all NULL on failure). */
wick_status wick_model_run_alloc(wick_model* model, const wick_buffer* inputs, size_t num_inputs,
                                 wick_tensor** outputs, size_t num_outputs);

/* Tensors owned by the runtime. */
wick_status wick_tensor_new(wick_dtype dtype, int32_t rank, const int64_t* sizes, wick_tensor** out); /* zeros */
void wick_tensor_free(wick_tensor* t); /* NULL is fine */
void* wick_tensor_data(const wick_tensor* t);
size_t wick_tensor_nbytes(const wick_tensor* t);
wick_dtype wick_tensor_dtype(const wick_tensor* t);
int32_t wick_tensor_rank(const wick_tensor* t);
const int64_t* wick_tensor_sizes(const wick_tensor* t);
/* A buffer describing t, to pass it as an input; valid while t lives. */
wick_buffer wick_tensor_buffer(const wick_tensor* t);

/* NumPy .npy files (format 1.0 to 3.0, C order, little-endian). */
wick_status wick_npy_read(const char* path, wick_tensor** out);
wick_status wick_npy_write(const char* path, const wick_tensor* t);

#ifdef __cplusplus
}
#endif

#endif /* WICK_RUNTIME_H */
