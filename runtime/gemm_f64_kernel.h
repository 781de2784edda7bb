// The blocked float64 product behind gemm_f64.h, written once over a vector
// width: each file that includes it is compiled for one instruction set and
// instantiates it with that set's tile (all of it in an anonymous namespace,
// so no instantiation is shared between files of different instruction sets).
//
// Loops, outermost first: columns of C in blocks of kNc, depth in blocks of
// kKc (B's block packed into kNr-wide panels), rows in blocks of kMc (A's
// block packed into kMr-tall panels), then micro-tiles of kMr x kNr held in
// registers across the whole depth block.
#pragma once

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "runtime/gemm_f64.h"
#include "runtime/thread_pool.h"
#include "support/error.h"

namespace {

#define WICK_GEMM_INLINE __attribute__((always_inline)) inline

template <int kLanes>
struct Lanes {
  typedef double type __attribute__((vector_size(kLanes * sizeof(double))));
};

// A grow-only 64-byte aligned buffer per thread and purpose.
double* scratch(int slot, size_t doubles) {
  struct Buffer {
    std::unique_ptr<double, decltype(&std::free)> data{nullptr, &std::free};
    size_t size = 0;
  };
  thread_local Buffer buffers[2];
  Buffer& b = buffers[slot];
  if (doubles > b.size) {
    const size_t bytes = (doubles * sizeof(double) + 63) / 64 * 64;
    b.data.reset(static_cast<double*>(std::aligned_alloc(64, bytes)));
    if (!b.data) {
      b.size = 0;
      throw wick::Error("out of memory allocating " + std::to_string(bytes) + " bytes for a float64 product");
    }
    b.size = bytes / sizeof(double);
  }
  return b.data.get();
}

template <int kLanes, int kMr, int kVectors>
struct Gemm {
  using V = typename Lanes<kLanes>::type;
  static constexpr int kNr = kLanes * kVectors;
  static constexpr int64_t kKc = 256;
  static constexpr int64_t kMc = 96 / kMr * kMr;
  static constexpr int64_t kNc = 2048 / kNr * kNr;

  static WICK_GEMM_INLINE V load(const double* p) {
    V v;
    std::memcpy(&v, p, sizeof(V));
    return v;
  }
  static WICK_GEMM_INLINE void store(double* p, V v) { std::memcpy(p, &v, sizeof(V)); }

  // A[rows, depth] -> panels of kMr rows, k-major within a panel; rows past
  // the end are zeros.
  static void pack_a(const wick::rt::GemmF64& g, int64_t row0, int64_t rows, int64_t k0, int64_t depth, double* out) {
    for (int64_t p = 0; p < rows; p += kMr, out += kMr * depth) {
      const int64_t mr = std::min<int64_t>(kMr, rows - p);
      for (int64_t i = 0; i < kMr; ++i) {
        if (i >= mr) {
          for (int64_t k = 0; k < depth; ++k) out[k * kMr + i] = 0.0;
          continue;
        }
        const double* src = g.a + (row0 + p + i) * g.a_row + k0 * g.a_col;
        if (g.a_col == 1) {
          for (int64_t k = 0; k < depth; ++k) out[k * kMr + i] = src[k];
        } else {
          for (int64_t k = 0; k < depth; ++k) out[k * kMr + i] = src[k * g.a_col];
        }
      }
    }
  }

  // B[depth, cols] -> panels of kNr columns, k-major within a panel;
  // columns past the end are zeros.
  static void pack_b(const wick::rt::GemmF64& g, int64_t k0, int64_t depth, int64_t col0, int64_t cols, double* out) {
    for (int64_t p = 0; p < cols; p += kNr, out += kNr * depth) {
      const int64_t nr = std::min<int64_t>(kNr, cols - p);
      const double* src = g.b + k0 * g.b_row + (col0 + p) * g.b_col;
      if (g.b_col == 1 && nr == kNr) {
        for (int64_t k = 0; k < depth; ++k) std::memcpy(out + k * kNr, src + k * g.b_row, sizeof(double) * kNr);
        continue;
      }
      for (int64_t j = 0; j < kNr; ++j) {
        if (j >= nr) {
          for (int64_t k = 0; k < depth; ++k) out[k * kNr + j] = 0.0;
        } else {
          for (int64_t k = 0; k < depth; ++k) out[k * kNr + j] = src[j * g.b_col + k * g.b_row];
        }
      }
    }
  }

  // acc[kMr][kNr] = sum over depth of the packed panels' outer products.
  static WICK_GEMM_INLINE void micro(int64_t depth, const double* a, const double* b, V (&acc)[kMr][kVectors]) {
    for (int i = 0; i < kMr; ++i)
      for (int j = 0; j < kVectors; ++j) acc[i][j] = V{};
    for (int64_t k = 0; k < depth; ++k, a += kMr, b += kNr) {
      V bv[kVectors];
      for (int j = 0; j < kVectors; ++j) bv[j] = load(b + j * kLanes);
      for (int i = 0; i < kMr; ++i) {
        const V ai = V{} + a[i];
        for (int j = 0; j < kVectors; ++j) acc[i][j] += ai * bv[j];
      }
    }
  }

  // One micro-tile of C: (over)written or added to.
  static WICK_GEMM_INLINE void tile(const wick::rt::GemmF64& g, int64_t depth, const double* a, const double* b,
                                    int64_t row, int64_t col, int64_t mr, int64_t nr, bool add) {
    V acc[kMr][kVectors];
    micro(depth, a, b, acc);
    double* c = g.c + row * g.c_row + col * g.c_col;
    if (mr == kMr && nr == kNr && g.c_col == 1) {
      for (int i = 0; i < kMr; ++i)
        for (int j = 0; j < kVectors; ++j) {
          double* p = c + i * g.c_row + j * kLanes;
          store(p, add ? acc[i][j] + load(p) : acc[i][j]);
        }
      return;
    }
    alignas(64) double t[kMr * kNr];
    for (int i = 0; i < kMr; ++i)
      for (int j = 0; j < kVectors; ++j) store(t + i * kNr + j * kLanes, acc[i][j]);
    for (int64_t i = 0; i < mr; ++i)
      for (int64_t j = 0; j < nr; ++j) {
        double* p = c + i * g.c_row + j * g.c_col;
        *p = add ? *p + t[i * kNr + j] : t[i * kNr + j];
      }
  }

  // Rows [row0, row0 + rows) of C times columns [col0, col0 + cols), given
  // B's packed block for those columns (packed from column `packed0`).
  static void rows_block(const wick::rt::GemmF64& g, int64_t row0, int64_t rows, int64_t k0, int64_t depth,
                         const double* bpack, int64_t packed0, int64_t col0, int64_t cols, bool add) {
    double* apack = scratch(1, static_cast<size_t>((rows + kMr - 1) / kMr * kMr * depth));
    pack_a(g, row0, rows, k0, depth, apack);
    for (int64_t jr = 0; jr < cols; jr += kNr) {
      const double* bp = bpack + (col0 - packed0 + jr) / kNr * kNr * depth;
      const int64_t nr = std::min<int64_t>(kNr, cols - jr);
      for (int64_t ir = 0; ir < rows; ir += kMr)
        tile(g, depth, apack + ir * depth, bp, row0 + ir, col0 + jr, std::min<int64_t>(kMr, rows - ir), nr, add);
    }
  }

  static void run(const wick::rt::GemmF64& g) {
    if (g.m <= 0 || g.n <= 0) return;
    if (g.k <= 0) {
      if (g.accumulate) return;
      for (int64_t i = 0; i < g.m; ++i)
        for (int64_t j = 0; j < g.n; ++j) g.c[i * g.c_row + j * g.c_col] = 0.0;
      return;
    }
    wick::rt::ThreadPool& pool = wick::rt::default_thread_pool();
    const bool serial =
        wick::rt::ThreadPool::in_parallel_region() || pool.num_threads() == 1 || g.m * g.n * g.k < (1 << 18);
    const int64_t threads = serial ? 1 : pool.num_threads();
    for (int64_t jc = 0; jc < g.n; jc += kNc) {
      const int64_t nc = std::min<int64_t>(kNc, g.n - jc);
      for (int64_t pc = 0; pc < g.k; pc += kKc) {
        const int64_t kc = std::min<int64_t>(kKc, g.k - pc);
        const bool add = g.accumulate || pc > 0;
        double* bpack = scratch(0, static_cast<size_t>((nc + kNr - 1) / kNr * kNr * kc));
        pack_b(g, pc, kc, jc, nc, bpack);
        const int64_t row_blocks = (g.m + kMc - 1) / kMc;
        if (threads == 1) {
          for (int64_t ib = 0; ib < row_blocks; ++ib)
            rows_block(g, ib * kMc, std::min<int64_t>(kMc, g.m - ib * kMc), pc, kc, bpack, jc, jc, nc, add);
          continue;
        }
        // Tasks: row blocks times column chunks (whole panels), enough of
        // them to give every thread work when there are few row blocks.
        const int64_t panels = (nc + kNr - 1) / kNr;
        const int64_t chunks = std::clamp<int64_t>(2 * threads / row_blocks, 1, std::max<int64_t>(1, panels / 4));
        const int64_t per_chunk = (panels + chunks - 1) / chunks * kNr;
        pool.parallel_for(0, row_blocks * chunks, 1, [&](int64_t lo, int64_t hi) {
          for (int64_t t = lo; t < hi; ++t) {
            const int64_t ib = t / chunks, c0 = (t % chunks) * per_chunk;
            if (c0 >= nc) continue;
            rows_block(g, ib * kMc, std::min<int64_t>(kMc, g.m - ib * kMc), pc, kc, bpack, jc, jc + c0,
                       std::min<int64_t>(per_chunk, nc - c0), add);
          }
        });
      }
    }
  }
};

#undef WICK_GEMM_INLINE

}  // namespace
