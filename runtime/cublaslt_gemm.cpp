// matmul, linear and addmm on cuBLASLt; see cublaslt_gemm.h.
//
// cuBLASLt is column-major. A row-major product O[M, N] = A[M, K] @ B[K, N]
// is the column-major product O^T = B^T @ A^T on the same memory, so when O
// is row-major cuBLASLt's "A" is our B and its "B" our A, and its output rows
// are our columns: linear's bias, one value per output feature, is then the
// per-row bias vector of cuBLASLt's BIAS epilogue. A transposed operand
// (unit stride along rows) is passed with CUBLAS_OP_T instead of copied.
#include "runtime/cublaslt_gemm.h"

#include <algorithm>
#include <climits>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "runtime/cublaslt_abi.h"
#include "runtime/cuda_device.h"
#include "runtime/cuda_driver.h"
#include "runtime/cuda_kernel_util.h"
#include "runtime/cuda_library.h"
#include "runtime/cuda_tensor.h"
#include "runtime/kernel_util.h"
#include "support/error.h"

namespace wick::rt {
namespace {

using namespace cublaslt_api;
using cuda_api::CUstream;

constexpr size_t kWorkspaceBytes = size_t{32} << 20;

// ---- the library ----------------------------------------------------------

struct CublasLt {
  CudaLibrary lib;
  cublasStatus_t (*create)(cublasLtHandle_t*) = nullptr;
  size_t (*get_version)() = nullptr;
  const char* (*status_name)(cublasStatus_t) = nullptr;
  const char* (*status_string)(cublasStatus_t) = nullptr;
  cublasStatus_t (*desc_create)(cublasLtMatmulDesc_t*, cublasComputeType_t, cudaDataType_t) = nullptr;
  cublasStatus_t (*desc_set)(cublasLtMatmulDesc_t, int, const void*, size_t) = nullptr;
  cublasStatus_t (*layout_create)(cublasLtMatrixLayout_t*, cudaDataType_t, uint64_t, uint64_t,
                                  int64_t) = nullptr;
  cublasStatus_t (*layout_set)(cublasLtMatrixLayout_t, int, const void*, size_t) = nullptr;
  cublasStatus_t (*pref_create)(cublasLtMatmulPreference_t*) = nullptr;
  cublasStatus_t (*pref_set)(cublasLtMatmulPreference_t, int, const void*, size_t) = nullptr;
  cublasStatus_t (*pref_destroy)(cublasLtMatmulPreference_t) = nullptr;
  cublasStatus_t (*heuristic)(cublasLtHandle_t, cublasLtMatmulDesc_t, cublasLtMatrixLayout_t,
                              cublasLtMatrixLayout_t, cublasLtMatrixLayout_t,
                              cublasLtMatrixLayout_t, cublasLtMatmulPreference_t, int,
                              cublasLtMatmulHeuristicResult_t*, int*) = nullptr;
  cublasStatus_t (*matmul)(cublasLtHandle_t, cublasLtMatmulDesc_t, const void*, const void*,
                           cublasLtMatrixLayout_t, const void*, cublasLtMatrixLayout_t,
                           const void*, const void*, cublasLtMatrixLayout_t, void*,
                           cublasLtMatrixLayout_t, const cublasLtMatmulAlgo_t*, void*, size_t,
                           CUstream) = nullptr;
};

const CublasLt& cublaslt() {
  struct Loaded {
    CublasLt api;
    std::unique_ptr<Error> error;  // why it could not be loaded
  };
  static const Loaded* loaded = [] {
    auto* l = new Loaded;  // never freed
    try {
      l->api.lib = open_cuda_library("cuBLASLt", "WICK_CUBLASLT",
                                     {"libcublasLt.so.13", "libcublasLt.so.12"});
      auto sym = [&](auto& fn, const char* name) {
        fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(l->api.lib.symbol(name));
        if (!fn) throw Error("cuBLASLt at " + l->api.lib.path + " lacks " + name);
      };
      sym(l->api.create, "cublasLtCreate");
      sym(l->api.get_version, "cublasLtGetVersion");
      sym(l->api.status_name, "cublasLtGetStatusName");
      sym(l->api.status_string, "cublasLtGetStatusString");
      sym(l->api.desc_create, "cublasLtMatmulDescCreate");
      sym(l->api.desc_set, "cublasLtMatmulDescSetAttribute");
      sym(l->api.layout_create, "cublasLtMatrixLayoutCreate");
      sym(l->api.layout_set, "cublasLtMatrixLayoutSetAttribute");
      sym(l->api.pref_create, "cublasLtMatmulPreferenceCreate");
      sym(l->api.pref_set, "cublasLtMatmulPreferenceSetAttribute");
      sym(l->api.pref_destroy, "cublasLtMatmulPreferenceDestroy");
      sym(l->api.heuristic, "cublasLtMatmulAlgoGetHeuristic");
      sym(l->api.matmul, "cublasLtMatmul");
    } catch (const Error& e) {
      l->error = std::make_unique<Error>(e);
    }
    return l;
  }();
  if (loaded->error) throw *loaded->error;
  return loaded->api;
}

void lt_check(const CublasLt& lt, cublasStatus_t s, const char* call, const std::string& what) {
  if (s == CUBLAS_STATUS_SUCCESS) return;
  const char* name = lt.status_name(s);
  const char* text = lt.status_string(s);
  throw Error(std::string("cuBLASLt call ") + call + " failed: " +
              (name ? name : "status " + std::to_string(s)) + (text ? std::string(" (") + text + ")" : "") +
              (what.empty() ? "" : ": " + what));
}

// ---- per-device state: handle, workspace, cached plans ----------------------

// One GEMM shape as cuBLASLt sees it (column-major), with everything the
// descriptors and the algorithm choice depend on.
struct Problem {
  int32_t op_a = CUBLAS_OP_N, op_b = CUBLAS_OP_N;
  uint64_t a_rows = 0, a_cols = 0, b_rows = 0, b_cols = 0, d_rows = 0, d_cols = 0;
  int64_t lda = 0, ldb = 0, ldd = 0;
  int32_t batch = 1;
  int64_t stride_a = 0, stride_b = 0, stride_d = 0;
  uint32_t epilogue = CUBLASLT_EPILOGUE_DEFAULT;
  uint32_t align_a = 256, align_b = 256, align_d = 256, align_bias = 256;

  std::string key() const {
    std::string k;
    for (int64_t v : {int64_t{op_a}, int64_t{op_b}, int64_t(a_rows), int64_t(a_cols),
                      int64_t(b_rows), int64_t(b_cols), int64_t(d_rows), int64_t(d_cols), lda, ldb,
                      ldd, int64_t{batch}, stride_a, stride_b, stride_d, int64_t{epilogue},
                      int64_t{align_a}, int64_t{align_b}, int64_t{align_d}, int64_t{align_bias}})
      k += std::to_string(v) + ",";
    return k;
  }
  std::string describe() const {
    return "cuBLASLt GEMM " + std::to_string(d_rows) + "x" + std::to_string(d_cols) + "x" +
           std::to_string(op_a == CUBLAS_OP_N ? a_cols : a_rows) + " (column-major; op " +
           std::to_string(op_a) + "/" + std::to_string(op_b) + ", ld " + std::to_string(lda) + "/" +
           std::to_string(ldb) + "/" + std::to_string(ldd) + ", batch " + std::to_string(batch) +
           ", epilogue " + std::to_string(epilogue) + ")";
  }
};

struct Plan {
  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, d = nullptr;
  cublasLtMatmulAlgo_t algo{};
};

struct LtDevice {
  std::mutex mutex;
  cublasLtHandle_t handle = nullptr;
  std::shared_ptr<Storage> workspace;
  size_t workspace_bytes = 0;
  std::unordered_map<std::string, std::unique_ptr<Plan>> plans;  // never evicted
};

LtDevice& lt_device(const CublasLt& lt, int index) {
  static std::mutex mutex;
  static auto* devices = new std::unordered_map<int, LtDevice*>;  // never freed
  std::lock_guard<std::mutex> lock(mutex);
  LtDevice*& slot = (*devices)[index];
  if (slot) return *slot;
  const CudaDevice& dev = cuda_device(index);
  dev.make_current();
  auto state = std::make_unique<LtDevice>();
  lt_check(lt, lt.create(&state->handle), "cublasLtCreate", "on " + dev.describe());
  try {
    state->workspace = dev.allocator().allocate(kWorkspaceBytes);
    state->workspace_bytes = kWorkspaceBytes;
  } catch (const Error&) {
    // No room for a workspace: algorithms that need none still run.
  }
  slot = state.release();
  return *slot;
}

template <typename T>
void set_desc(const CublasLt& lt, cublasLtMatmulDesc_t desc, int attr, const T& value,
              const char* name) {
  lt_check(lt, lt.desc_set(desc, attr, &value, sizeof value), "cublasLtMatmulDescSetAttribute", name);
}

cublasLtMatrixLayout_t make_layout(const CublasLt& lt, uint64_t rows, uint64_t cols, int64_t ld,
                                   int32_t batch, int64_t stride) {
  cublasLtMatrixLayout_t l = nullptr;
  lt_check(lt, lt.layout_create(&l, CUDA_R_32F, rows, cols, ld), "cublasLtMatrixLayoutCreate", "");
  if (batch > 1) {
    lt_check(lt, lt.layout_set(l, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &batch, sizeof batch),
             "cublasLtMatrixLayoutSetAttribute", "batch count");
    lt_check(lt,
             lt.layout_set(l, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, &stride, sizeof stride),
             "cublasLtMatrixLayoutSetAttribute", "batch stride");
  }
  return l;
}

const Plan& plan_for(const CublasLt& lt, LtDevice& state, const Problem& p, const void* bias) {
  const std::string key = p.key();
  auto it = state.plans.find(key);
  if (it != state.plans.end()) return *it->second;
  auto plan = std::make_unique<Plan>();
  lt_check(lt, lt.desc_create(&plan->desc, CUBLAS_COMPUTE_32F, CUDA_R_32F), "cublasLtMatmulDescCreate",
           p.describe());
  set_desc(lt, plan->desc, CUBLASLT_MATMUL_DESC_TRANSA, p.op_a, "transa");
  set_desc(lt, plan->desc, CUBLASLT_MATMUL_DESC_TRANSB, p.op_b, "transb");
  set_desc(lt, plan->desc, CUBLASLT_MATMUL_DESC_EPILOGUE, p.epilogue, "epilogue");
  if (bias) {
    set_desc(lt, plan->desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, bias, "bias pointer");
    const int64_t zero = 0;  // one bias for every matrix of a batch
    set_desc(lt, plan->desc, CUBLASLT_MATMUL_DESC_BIAS_BATCH_STRIDE, zero, "bias batch stride");
  }
  plan->a = make_layout(lt, p.a_rows, p.a_cols, p.lda, p.batch, p.stride_a);
  plan->b = make_layout(lt, p.b_rows, p.b_cols, p.ldb, p.batch, p.stride_b);
  plan->d = make_layout(lt, p.d_rows, p.d_cols, p.ldd, p.batch, p.stride_d);

  cublasLtMatmulPreference_t pref = nullptr;
  lt_check(lt, lt.pref_create(&pref), "cublasLtMatmulPreferenceCreate", p.describe());
  const uint64_t ws = state.workspace_bytes;
  cublasLtMatmulHeuristicResult_t result{};
  int count = 0;
  cublasStatus_t s = lt.pref_set(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof ws);
  const std::pair<int, uint32_t> aligns[] = {{CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, p.align_a},
                                             {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, p.align_b},
                                             {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, p.align_d},
                                             {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, p.align_d}};
  for (const auto& [attr, value] : aligns)
    if (s == CUBLAS_STATUS_SUCCESS) s = lt.pref_set(pref, attr, &value, sizeof value);
  if (s == CUBLAS_STATUS_SUCCESS)
    s = lt.heuristic(state.handle, plan->desc, plan->a, plan->b, plan->d, plan->d, pref, 1, &result,
                     &count);
  lt.pref_destroy(pref);
  lt_check(lt, s, "cublasLtMatmulAlgoGetHeuristic", p.describe());
  if (count < 1 || result.state != CUBLAS_STATUS_SUCCESS)
    throw Error("cuBLASLt has no algorithm for " + p.describe());
  plan->algo = result.algo;
  return *state.plans.emplace(key, std::move(plan)).first->second;
}

void lt_matmul(int device, Problem p, const float* a, const float* b, float* d, const float* bias,
               float alpha, float beta) {
  const CudaDevice& dev = cuda_device(device);  // no driver: say so before looking for cuBLASLt
  const CublasLt& lt = cublaslt();
  LtDevice& state = lt_device(lt, device);
  p.align_a = address_alignment(a);
  p.align_b = address_alignment(b);
  p.align_d = address_alignment(d);
  p.align_bias = bias ? address_alignment(bias) : 256;
  std::lock_guard<std::mutex> lock(state.mutex);
  dev.make_current();
  const Plan& plan = plan_for(lt, state, p, bias);
  if (bias) set_desc(lt, plan.desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, static_cast<const void*>(bias),
                     "bias pointer");
  lt_check(lt,
           lt.matmul(state.handle, plan.desc, &alpha, a, plan.a, b, plan.b, &beta, d, plan.d, d,
                     plan.d, &plan.algo, state.workspace ? state.workspace->data() : nullptr,
                     state.workspace_bytes, dev.stream()),
           "cublasLtMatmul", p.describe());
}

// ---- shapes -----------------------------------------------------------------

// How a matrix [rows, cols] with element strides (s0, s1) sits in memory.
struct MatLayout {
  bool row_major = true;
  int64_t ld = 1;
};

bool matrix_layout(int64_t rows, int64_t cols, int64_t s0, int64_t s1, MatLayout* l) {
  if ((cols == 1 || s1 == 1) && (rows == 1 || s0 >= cols)) {
    *l = {true, rows == 1 ? std::max<int64_t>(cols, 1) : s0};
    return true;
  }
  if ((rows == 1 || s0 == 1) && (cols == 1 || s1 >= rows)) {
    *l = {false, cols == 1 ? std::max<int64_t>(rows, 1) : s1};
    return true;
  }
  return false;
}

MatLayout layout_of(const char* op, const char* what, const Tensor& t) {
  MatLayout l;
  const int r = t.dim();
  if (!matrix_layout(t.size(r - 2), t.size(r - 1), t.strides()[r - 2], t.strides()[r - 1], &l))
    throw Error(std::string("the GPU ") + op + " needs its " + what +
                    " to have a unit stride in one of its last two dims, got strides " +
                    shape_str(t.strides()),
                {}, op);
  return l;
}

// Folds dims [first, last] of t into one (as in dnnl_matmul.cpp).
bool fold(const Tensor& t, int first, int last, int64_t* size, int64_t* stride) {
  int64_t n = 1, st = 0;
  for (int i = last; i >= first; --i) {
    const int64_t s = t.size(i);
    if (s == 1) continue;
    if (n == 1) {
      n = s;
      st = t.strides()[i];
    } else if (t.strides()[i] != st * n) {
      return false;
    } else {
      n *= s;
    }
  }
  *size = n;
  *stride = n == 1 ? 1 : st;
  return true;
}

void check_int32(const char* op, int64_t v, const char* what) {
  if (v > INT_MAX)
    throw Error(std::string("the GPU ") + op + " got a " + what + " of " + std::to_string(v) +
                    ", more than cuBLASLt takes",
                {}, op);
}

uint32_t epilogue_code(const char* op, const Epilogue& e, bool bias) {
  if (!cublaslt_fuses(e))
    throw Error("cuBLASLt cannot apply this post-op (" + std::to_string(static_cast<int>(e.op)) +
                    ") inside the GEMM; the plan must run it as a separate kernel",
                {}, op);
  switch (e.op) {
    case PostOp::relu: return bias ? CUBLASLT_EPILOGUE_RELU_BIAS : CUBLASLT_EPILOGUE_RELU;
    case PostOp::gelu_tanh: return bias ? CUBLASLT_EPILOGUE_GELU_BIAS : CUBLASLT_EPILOGUE_GELU;
    default: return bias ? CUBLASLT_EPILOGUE_BIAS : CUBLASLT_EPILOGUE_DEFAULT;
  }
}

// O = epilogue(alpha * A @ B + bias + beta * O). A, B, O have equal rank >= 2
// (O's batch dims the broadcast of A's and B's); bias is undefined or a
// vector over O's last dim.
void product(const char* op, Tensor a, Tensor b, Tensor o, Tensor bias, float alpha, float beta,
             const Epilogue& e) {
  if (o.numel() == 0) return;
  const int rank = o.dim();
  const int device = o.device().index;
  const int64_t M = o.size(-2), N = o.size(-1), K = a.size(-1);
  if (K == 0) {
    // Nothing to multiply: O = epilogue(beta * O + bias), which needs no
    // library only in the plain case (relu(0) = gelu(0) = 0).
    if (bias.defined() || beta != 0.f || !o.is_contiguous())
      throw Error("the GPU " + std::string(op) +
                      " does not take an empty inner dimension with a bias or into a strided output",
                  {}, op);
    cuda_memset(o, 0);
    return;
  }
  for (const auto& [v, what] : {std::pair{M, "row count"}, std::pair{N, "column count"},
                                std::pair{K, "inner dimension"}})
    check_int32(op, v, what);

  // Only A (and O) batched: one GEMM over all rows of A.
  bool b_unbatched = true;
  for (int i = 0; i < rank - 2; ++i) b_unbatched = b_unbatched && (b.size(i) == 1 || b.strides()[i] == 0);
  int64_t rows_a, stride_a, rows_o, stride_o;
  if (rank > 2 && b_unbatched && fold(a, 0, rank - 2, &rows_a, &stride_a) &&
      fold(o, 0, rank - 2, &rows_o, &stride_o) && rows_a == rows_o) {
    check_int32(op, rows_a, "row count");
    a = restride(a, {rows_a, K}, {stride_a, a.strides()[rank - 1]});
    o = restride(o, {rows_o, N}, {stride_o, o.strides()[rank - 1]});
    b = restride(b, {K, N}, {b.strides()[rank - 2], b.strides()[rank - 1]});
    return product(op, a, b, o, bias, alpha, beta, e);
  }

  const MatLayout la = layout_of(op, "first operand", a);
  const MatLayout lb = layout_of(op, "second operand", b);
  const MatLayout lo = layout_of(op, "output", o);
  if (bias.defined() && !lo.row_major) {
    // cuBLASLt's bias runs along its rows, our columns here: add it as C.
    cuda_broadcast_into(op, bias, o);
    return product(op, a, b, o, Tensor(), alpha, 1.f, e);
  }
  if (bias.defined()) bias = cuda_contiguous(bias);

  Problem p;
  p.epilogue = epilogue_code(op, e, bias.defined());
  const bool swap = lo.row_major;  // compute O^T = B^T A^T
  const Tensor& first = swap ? b : a;   // cuBLASLt's A
  const Tensor& second = swap ? a : b;  // cuBLASLt's B
  const MatLayout lf = swap ? lb : la, ls = swap ? la : lb;
  const int64_t rows_d = swap ? N : M, cols_d = swap ? M : N;
  // cuBLASLt's A is [rows_d, K] after its op, B is [K, cols_d]; a row-major
  // operand here is its transpose in column-major terms, and vice versa.
  const bool first_n = swap ? lf.row_major : !lf.row_major;
  const bool second_n = swap ? ls.row_major : !ls.row_major;
  p.op_a = first_n ? CUBLAS_OP_N : CUBLAS_OP_T;
  p.a_rows = static_cast<uint64_t>(first_n ? rows_d : K);
  p.a_cols = static_cast<uint64_t>(first_n ? K : rows_d);
  p.lda = lf.ld;
  p.op_b = second_n ? CUBLAS_OP_N : CUBLAS_OP_T;
  p.b_rows = static_cast<uint64_t>(second_n ? K : cols_d);
  p.b_cols = static_cast<uint64_t>(second_n ? cols_d : K);
  p.ldb = ls.ld;
  p.d_rows = static_cast<uint64_t>(rows_d);
  p.d_cols = static_cast<uint64_t>(cols_d);
  p.ldd = lo.ld;
  for (int64_t ld : {p.lda, p.ldb, p.ldd}) check_int32(op, ld, "leading dimension");

  // Batch dims: strides per operand (0 where broadcast), merged where they
  // run evenly; the innermost run is cuBLASLt's batch, the rest a loop.
  struct Run {
    int64_t size, sf, ss, so;
  };
  std::vector<Run> runs;  // innermost first
  for (int i = rank - 3; i >= 0; --i) {
    const int64_t n = o.size(i);
    if (n == 1) continue;
    const int64_t sf = first.size(i) == 1 ? 0 : first.strides()[i];
    const int64_t ss = second.size(i) == 1 ? 0 : second.strides()[i];
    const int64_t so = o.strides()[i];
    if (!runs.empty()) {
      Run& r = runs.back();
      if (sf == r.sf * r.size && ss == r.ss * r.size && so == r.so * r.size) {
        r.size *= n;
        continue;
      }
    }
    runs.push_back({n, sf, ss, so});
  }
  if (!runs.empty()) {
    check_int32(op, runs[0].size, "batch count");
    p.batch = static_cast<int32_t>(runs[0].size);
    p.stride_a = runs[0].sf;
    p.stride_b = runs[0].ss;
    p.stride_d = runs[0].so;
    if (p.batch > 1 && p.stride_d == 0)
      throw Error("the GPU " + std::string(op) + " got an output with a stride-0 batch dim", {}, op);
  }
  const float* fbase = first.data_as<const float>();
  const float* sbase = second.data_as<const float>();
  float* obase = o.data_as<float>();
  const float* bias_ptr = bias.defined() ? bias.data_as<const float>() : nullptr;
  std::vector<int64_t> index(runs.size(), 0);
  for (;;) {
    int64_t of = 0, os = 0, oo = 0;
    for (size_t r = 1; r < runs.size(); ++r) {
      of += index[r] * runs[r].sf;
      os += index[r] * runs[r].ss;
      oo += index[r] * runs[r].so;
    }
    lt_matmul(device, p, fbase + of, sbase + os, obase + oo, bias_ptr, alpha, beta);
    size_t r = 1;
    for (; r < runs.size(); ++r) {
      if (++index[r] < runs[r].size) break;
      index[r] = 0;
    }
    if (r >= runs.size()) break;
  }
}

// A view of `t` with a size-1 dimension inserted at `dim`.
Tensor unsqueeze(const Tensor& t, int dim) {
  std::vector<int64_t> sizes = t.sizes(), strides = t.strides();
  sizes.insert(sizes.begin() + dim, 1);
  strides.insert(strides.begin() + dim, 0);
  return restride(t, sizes, strides);
}

}  // namespace

bool cublaslt_fuses(const Epilogue& e) {
  switch (e.op) {
    case PostOp::none:
    case PostOp::gelu_tanh: return true;
    case PostOp::relu: return e.alpha == 0.f;
    default: return false;
  }
}

void cuda_matmul(const Tensor& a, const Tensor& b, Tensor& out, const Epilogue& epilogue) {
  const int device = check_cuda_f32("matmul", "first argument", a);
  check_cuda_f32("matmul", "second argument", b, device);
  check_cuda_output("matmul", out, matmul_output_sizes(a.sizes(), b.sizes()), device);
  Tensor a2 = a.dim() == 1 ? unsqueeze(a, 0) : a;
  Tensor b2 = b.dim() == 1 ? unsqueeze(b, 1) : b;
  Tensor o = out;
  if (a.dim() == 1) o = unsqueeze(o, o.dim() - (b.dim() == 1 ? 0 : 1));
  if (b.dim() == 1) o = unsqueeze(o, o.dim());
  const int rank = std::max({a2.dim(), b2.dim(), o.dim()});
  product("matmul", with_rank(a2, rank), with_rank(b2, rank), with_rank(o, rank), Tensor(), 1.f, 0.f,
          epilogue);
}

void cuda_linear(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& out,
                 const Epilogue& epilogue) {
  const int device = check_cuda_f32("linear", "input", x);
  check_cuda_f32("linear", "weight", weight, device);
  if (bias.defined()) check_cuda_f32("linear", "bias", bias, device);
  if (bias.defined() && bias.dim() == 0)
    throw Error("expected a bias of shape [" + std::to_string(weight.size(0)) + "], got []", {},
                "linear");
  check_cuda_output("linear", out,
                    linear_output_sizes(x.sizes(), weight.sizes(),
                                        bias.defined() ? bias.sizes() : std::vector<int64_t>{}),
                    device);
  Tensor wt = restride(weight, {weight.size(1), weight.size(0)},
                       {weight.strides()[1], weight.strides()[0]});
  Tensor a = x.dim() == 1 ? unsqueeze(x, 0) : x;
  Tensor o = x.dim() == 1 ? unsqueeze(out, 0) : out;
  const int rank = a.dim();
  product("linear", a, with_rank(wt, rank), o, bias, 1.f, 0.f, epilogue);
}

void cuda_addmm(const Tensor& bias, const Tensor& a, const Tensor& b, float beta, float alpha,
                Tensor& out, const Epilogue& epilogue) {
  const int device = check_cuda_f32("addmm", "input", bias);
  check_cuda_f32("addmm", "first matrix", a, device);
  check_cuda_f32("addmm", "second matrix", b, device);
  check_cuda_output("addmm", out, addmm_output_sizes(bias.sizes(), a.sizes(), b.sizes()), device);
  Tensor bias2 = with_rank(bias, 2);
  if (beta == 0.f) {
    product("addmm", a, b, out, Tensor(), alpha, 0.f, epilogue);
  } else if (beta == 1.f && bias2.size(0) == 1 && bias2.size(1) == b.size(1)) {
    // A row bias, added by the epilogue after alpha scales the product.
    product("addmm", a, b, out, restride(bias2, {bias2.size(1)}, {bias2.strides()[1]}), alpha, 0.f,
            epilogue);
  } else {
    const bool same =
        bias.data() == out.data() && bias.sizes() == out.sizes() && bias.strides() == out.strides();
    if (!same) cuda_broadcast_into("addmm", bias, out);
    product("addmm", a, b, out, Tensor(), alpha, beta, epilogue);
  }
}

size_t cublaslt_version() { return cublaslt().get_version(); }

std::string cublaslt_path() { return cublaslt().lib.path; }

}  // namespace wick::rt
