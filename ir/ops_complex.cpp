// Complex tensors: their parts, views as real pairs, torch.fft's transforms
// and the short-time Fourier transform and its inverse. None of them is
// compiled as such: passes/lower_complex rewrites each complex value as two
// real ones and these ops as real ops on them, the transforms as calls of
// the FFT kernels below (or, for CUDA plans, as matrix products).
#include "ir/op_table.h"
#include "ir/shape_rules.h"

namespace wick::ir {

void add_complex_ops(OpTableBuilder& t) {
  constexpr Lowering C = Lowering::composite;
  using namespace shape;
  t.add({"aten::view_as_real(Tensor(a) self) -> Tensor(a)", C, view_as_real});
  t.add({"aten::view_as_complex(Tensor(a) self) -> Tensor(a)", C, view_as_complex});
  t.add({"aten::real(Tensor(a) self) -> Tensor(a)", C, real_of_complex});
  t.add({"aten::imag(Tensor(a) self) -> Tensor(a)", C, imaginary_part});
  t.add({"aten::conj(Tensor(a) self) -> Tensor(a)", C, same_as_input});
  t.add({"aten::conj_physical(Tensor self) -> Tensor", C, same_as_input});
  t.add({"aten::resolve_conj(Tensor(a) self) -> Tensor(a)", C, same_as_input});
  t.add({"aten::resolve_neg(Tensor(a) self) -> Tensor(a)", C, same_as_input});
  t.add({"aten::angle(Tensor self) -> Tensor", C, real_of_complex});
  t.add({"aten::complex(Tensor real, Tensor imag) -> Tensor", C, complex_from_parts});
  t.add({"aten::polar(Tensor abs, Tensor angle) -> Tensor", C, complex_from_parts});
  for (const char* name : {"fft", "ifft", "rfft", "irfft", "hfft", "ihfft"})
    t.add({(std::string("aten::fft_") + name + "(Tensor self, int? n=None, int dim=-1, str? norm=None) -> Tensor").c_str(),
           C, fft});
  for (const char* name : {"fft2", "ifft2", "rfft2", "irfft2"})
    t.add({(std::string("aten::fft_") + name +
            "(Tensor self, int[1]? s=None, int[1] dim=[-2, -1], str? norm=None) -> Tensor")
               .c_str(),
           C, fft});
  for (const char* name : {"fftn", "ifftn", "rfftn", "irfftn"})
    t.add({(std::string("aten::fft_") + name + "(Tensor self, int[1]? s=None, int[1]? dim=None, str? norm=None) -> Tensor")
               .c_str(),
           C, fft});
  t.add({"aten::fft_fftshift(Tensor self, int[1]? dim=None) -> Tensor", C, same_as_input});
  t.add({"aten::fft_ifftshift(Tensor self, int[1]? dim=None) -> Tensor", C, same_as_input});
  t.add({"aten::fft_fftfreq(int n, float d=1., *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, "
         "bool? pin_memory=None) -> Tensor",
         C, fftfreq});
  t.add({"aten::fft_rfftfreq(int n, float d=1., *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, "
         "bool? pin_memory=None) -> Tensor",
         C, fftfreq});
  t.add({"aten::stft(Tensor self, int n_fft, int? hop_length=None, int? win_length=None, Tensor? window=None, "
         "bool normalized=False, bool? onesided=None, bool? return_complex=None) -> Tensor",
         C, stft});
  t.add({"aten::istft(Tensor self, int n_fft, int? hop_length=None, int? win_length=None, Tensor? window=None, "
         "bool center=True, bool normalized=False, bool? onesided=None, int? length=None, bool return_complex=False) "
         "-> Tensor",
         C, istft});
  // The runtime's FFT kernels (runtime/fft.h), unnormalized, on complex
  // values as real pairs [.., 2], along one dim; lower_complex emits them
  // for CPU plans. Each carries its gradient (ir/grad_rules_complex.cpp).
  constexpr Lowering E = Lowering::extern_call;
  t.add({"wick::fft_c2c(Tensor self, int dim, bool inverse) -> Tensor", E, fourier_kernel});
  t.add({"wick::fft_r2c(Tensor self, int dim) -> Tensor", E, fourier_kernel});
  t.add({"wick::fft_c2r(Tensor self, int dim, int n) -> Tensor", E, fourier_kernel});
  // The half spectra of a signal's windowed frames, read in place:
  // [B, L] -> [B, n_fft / 2 + 1, frames, 2].
  t.add({"wick::stft_r2c(Tensor self, Tensor window, int n_fft, int hop) -> Tensor", E, framed_fourier_kernel});
}

}  // namespace wick::ir
