// Hand-written MLIR kernels shared by the codegen tests, and small helpers
// to run them through the packed entry.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "runtime/memref_descriptor.h"

namespace wick::codegen::test {

// out = a + b on 2-D memrefs; a and b may be any strided views.
inline const std::string kStridedAdd = R"mlir(
#id = affine_map<(i, j) -> (i, j)>
func.func @add(%a: memref<?x?xf32, strided<[?, ?], offset: ?>>,
               %b: memref<?x?xf32, strided<[?, ?], offset: ?>>,
               %out: memref<?x?xf32>) {
  linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a, %b : memref<?x?xf32, strided<[?, ?], offset: ?>>,
                   memref<?x?xf32, strided<[?, ?], offset: ?>>)
      outs(%out : memref<?x?xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %s = arith.addf %x, %y : f32
    linalg.yield %s : f32
  }
  return
}
)mlir";

// y = 1 / (1 + exp(-x))
inline const std::string kSigmoid = R"mlir(
#id = affine_map<(i) -> (i)>
func.func @sigmoid(%x: memref<?xf32>, %y: memref<?xf32>) {
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : memref<?xf32>) outs(%y : memref<?xf32>) {
  ^bb0(%v: f32, %o: f32):
    %one = arith.constant 1.0 : f32
    %n = arith.negf %v : f32
    %e = math.exp %n : f32
    %d = arith.addf %one, %e : f32
    %r = arith.divf %one, %d : f32
    linalg.yield %r : f32
  }
  return
}
)mlir";

// y[i] = sum_j x[i, j]
inline const std::string kRowSum = R"mlir(
func.func @row_sum(%x: memref<4x8xf32>, %y: memref<4xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%y : memref<4xf32>)
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<4x8xf32>) outs(%y : memref<4xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %s = arith.addf %acc, %v fastmath<reassoc> : f32
    linalg.yield %s : f32
  }
  return
}
)mlir";

// y = 2 * x with explicit 16-wide vectors; the tail is a masked transfer.
inline const std::string kVectorScale = R"mlir(
func.func @scale2(%x: memref<?xf32>, %y: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %pad = arith.constant 0.0 : f32
  %two = arith.constant dense<2.0> : vector<16xf32>
  %n = memref.dim %x, %c0 : memref<?xf32>
  scf.for %i = %c0 to %n step %c16 {
    %v = vector.transfer_read %x[%i], %pad : memref<?xf32>, vector<16xf32>
    %w = arith.mulf %v, %two : vector<16xf32>
    vector.transfer_write %w, %y[%i] : vector<16xf32>, memref<?xf32>
  }
  return
}
)mlir";

// y = exp(x)
inline const std::string kExp = R"mlir(
#id = affine_map<(i) -> (i)>
func.func @exp(%x: memref<?xf32>, %y: memref<?xf32>) {
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : memref<?xf32>) outs(%y : memref<?xf32>) {
  ^bb0(%v: f32, %o: f32):
    %e = math.exp %v : f32
    linalg.yield %e : f32
  }
  return
}
)mlir";

// A contiguous 1-D f32 memref over `v`.
inline MemRefDescriptorBuffer vector_memref(std::vector<float>& v) {
  int64_t size = static_cast<int64_t>(v.size());
  int64_t stride = 1;
  return MemRefDescriptorBuffer(v.data(), 0, {&size, 1}, {&stride, 1});
}

// A fresh, empty directory under the system temp directory.
inline std::string fresh_temp_dir(const std::string& tag) {
  static int counter = 0;
  auto dir = std::filesystem::temp_directory_path() /
             ("wick_codegen_" + tag + "_" + std::to_string(::getpid()) + "_" +
              std::to_string(counter++));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

}  // namespace wick::codegen::test
