// gemm_f64 on the widest micro-kernel this CPU runs; the SSE2 one (4 x 4
// tiles) is compiled here, the others in files of their own instruction sets.
#include "runtime/gemm_f64.h"

#include <string>

#include "runtime/gemm_f64_kernel.h"

namespace wick::rt {

void gemm_f64_avx512(const GemmF64& g);
void gemm_f64_avx2(const GemmF64& g);

namespace {

enum class Isa { avx512, avx2, sse2 };

Isa detect() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return Isa::avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Isa::avx2;
  return Isa::sse2;
}

Isa isa() {
  static const Isa found = detect();
  return found;
}

void run_on(Isa on, const GemmF64& g) {
  switch (on) {
    case Isa::avx512: return gemm_f64_avx512(g);
    case Isa::avx2: return gemm_f64_avx2(g);
    case Isa::sse2: return Gemm<2, 4, 2>::run(g);
  }
}

}  // namespace

void gemm_f64(const GemmF64& g) { run_on(isa(), g); }

void gemm_f64(const GemmF64& g, const char* name) {
  const std::string want = name;
  const Isa on = want == "avx512f" ? Isa::avx512 : want == "avx2" ? Isa::avx2 : want == "sse2" ? Isa::sse2 : isa();
  if (want != "avx512f" && want != "avx2" && want != "sse2") throw Error("no float64 product for instruction set " + want);
  if (static_cast<int>(on) < static_cast<int>(isa())) throw Error("this CPU lacks " + want);
  run_on(on, g);
}

const char* gemm_f64_isa() {
  switch (isa()) {
    case Isa::avx512: return "avx512f";
    case Isa::avx2: return "avx2";
    case Isa::sse2: return "sse2";
  }
  return "sse2";
}

}  // namespace wick::rt
