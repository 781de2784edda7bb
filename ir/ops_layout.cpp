// Views (no data moves), data movement (cat, stack, gathers), and the
// rearranging ops that decompose into them.
#include <string>

#include "ir/op_table.h"
#include "ir/shape_rules.h"

namespace wick::ir {

void add_layout_ops(OpTableBuilder& t) {
  constexpr Lowering V = Lowering::view;
  constexpr Lowering M = Lowering::movement;
  using namespace shape;
  t.add({"aten::view(Tensor(a) self, SymInt[] size) -> Tensor(a)", V, view});
  t.add({"aten::reshape(Tensor(a) self, SymInt[] shape) -> Tensor(a)", V, view});
  t.add({"aten::flatten.using_ints(Tensor(a) self, int start_dim=0, int end_dim=-1) -> Tensor(a)", V, flatten});
  t.add({"aten::permute(Tensor(a) self, int[] dims) -> Tensor(a)", V, permute});
  t.add({"aten::transpose.int(Tensor(a) self, int dim0, int dim1) -> Tensor(a)", V, transpose});
  t.add({"aten::t(Tensor(a) self) -> Tensor(a)", V, matrix_transpose});
  t.add({"aten::contiguous(Tensor(a) self, *, MemoryFormat memory_format=0) -> Tensor(a)", V, same_as_input});
  t.add({"aten::unsqueeze(Tensor(a) self, int dim) -> Tensor(a)", V, unsqueeze});
  t.add({"aten::squeeze(Tensor(a) self) -> Tensor(a)", V, squeeze_all});
  t.add({"aten::squeeze.dim(Tensor(a) self, int dim) -> Tensor(a)", V, squeeze_dim});
  t.add({"aten::expand(Tensor(a) self, SymInt[] size, *, bool implicit=False) -> Tensor(a)", V, expand});
  t.add({"aten::expand_as(Tensor(a) self, Tensor other) -> Tensor(a)", V, expand_as});
  t.add({"aten::select.int(Tensor(a) self, int dim, int index) -> Tensor(a)", V, select});
  t.add({"aten::slice.Tensor(Tensor(a) self, int dim=0, SymInt? start=None, SymInt? end=None, SymInt step=1) -> Tensor(a)",
         V, slice});
  t.add({"aten::split.Tensor(Tensor(a -> *) self, int split_size, int dim=0) -> Tensor(a)[]", V, split_into_list});
  t.add({"aten::split(Tensor(a -> *) self, int[] split_sizes, int dim=0) -> Tensor(a)[]", V, split_into_list});
  t.add({"aten::split.sizes(Tensor(a -> *) self, int[] split_size, int dim=0) -> Tensor(a)[]", V, split_into_list});
  t.add({"aten::split_with_sizes(Tensor(a -> *) self, int[] split_sizes, int dim=0) -> Tensor(a)[]", V,
         split_into_list});
  t.add({"aten::chunk(Tensor(a -> *) self, int chunks, int dim=0) -> Tensor(a)[]", V, split_into_list});
  // What traced recurrent cells call: the same parts, without autograd's view tracking.
  t.add({"aten::unsafe_chunk(Tensor self, int chunks, int dim=0) -> Tensor[]", V, split_into_list});
  t.add({"aten::unsafe_split.Tensor(Tensor self, SymInt split_size, int dim=0) -> Tensor[]", V, split_into_list});
  t.add({"aten::unsafe_split_with_sizes(Tensor self, SymInt[] split_sizes, int dim=0) -> Tensor[]", V,
         split_into_list});
  // Parts ending at the given indices, or `sections` parts (the first
  // size % sections one longer).
  t.add({"aten::tensor_split.indices(Tensor(a -> *) self, SymInt[] indices, int dim=0) -> Tensor(a)[]", V,
         split_into_list});
  t.add({"aten::tensor_split.sections(Tensor(a -> *) self, SymInt sections, int dim=0) -> Tensor(a)[]", V,
         split_into_list});
  // NumPy's splits (shape::numpy_split_dim): tensor_split along a dim the
  // rank picks, whose size `sections` must divide.
  for (const char* name : {"hsplit", "vsplit", "dsplit"}) {
    const std::string op = std::string("aten::") + name;
    t.add({(op + ".int(Tensor(a -> *) self, int sections) -> Tensor(a)[]").c_str(), V, split_into_list});
    t.add({(op + ".array(Tensor(a -> *) self, int[] indices) -> Tensor(a)[]").c_str(), V, split_into_list});
  }
  t.add({"aten::cat(Tensor[] tensors, int dim=0) -> Tensor", M, cat});
  t.add({"aten::stack(Tensor[] tensors, int dim=0) -> Tensor", M, stack});
  t.add({"aten::broadcast_tensors(Tensor[] tensors) -> Tensor[]", V, broadcast_tensors});
  t.add({"aten::index_select(Tensor self, int dim, Tensor index) -> Tensor", M, index_select});
  t.add({"aten::index.Tensor(Tensor self, Tensor?[] indices) -> Tensor", M, index});
  // Sizes the data decides: nonzero runs as an instruction of its own that
  // binds its count (rt::Op::nonzero); the rest become nonzero and gathers
  // (passes/decompose_masks.cpp).
  t.add({"aten::nonzero(Tensor self) -> Tensor", Lowering::extern_call, nonzero});
  t.add({"aten::argwhere(Tensor self) -> Tensor", Lowering::composite, nonzero});
  t.add({"aten::nonzero_numpy(Tensor self) -> Tensor[]", Lowering::composite, nonzero_columns});
  t.add({"aten::where(Tensor condition) -> Tensor[]", Lowering::composite, nonzero_columns});
  t.add({"aten::masked_select(Tensor self, Tensor mask) -> Tensor", Lowering::composite, masked_select});
  // Repeats held in a tensor: wick::repeat_positions runs as an instruction
  // that binds the total (rt::Op::repeat_index), then a gather.
  t.add({"aten::repeat_interleave.Tensor(Tensor repeats, *, int? output_size=None) -> Tensor", Lowering::composite,
         repeat_positions});
  t.add({"aten::repeat_interleave.self_Tensor(Tensor self, Tensor repeats, int? dim=None, *, int? output_size=None) -> Tensor",
         Lowering::composite, repeat_interleave_by_tensor});
  t.add({"wick::repeat_positions(Tensor repeats, int n) -> Tensor", Lowering::extern_call, repeat_positions});
  t.add({"aten::embedding(Tensor weight, Tensor indices, int padding_idx=-1, bool scale_grad_by_freq=False, bool sparse=False) -> Tensor",
         M, embedding});
  // Lookups summed, averaged or maxed per bag (passes/decompose_bags.cpp).
  t.add({"aten::embedding_bag(Tensor weight, Tensor indices, Tensor offsets, bool scale_grad_by_freq=False, int mode=0, "
         "bool sparse=False, Tensor? per_sample_weights=None, bool include_last_offset=False) -> (Tensor, Tensor, Tensor, Tensor)",
         Lowering::composite, embedding_bag});
  t.add({"aten::embedding_bag.padding_idx(Tensor weight, Tensor indices, Tensor offsets, bool scale_grad_by_freq, int mode, "
         "bool sparse, Tensor? per_sample_weights, bool include_last_offset, int? padding_idx) -> (Tensor, Tensor, Tensor, Tensor)",
         Lowering::composite, embedding_bag});
  t.add({"aten::one_hot(Tensor self, int num_classes=-1) -> Tensor", M, one_hot});
  // Rearranging, as views and products (passes/decompose_rearrange.cpp).
  constexpr Lowering C = Lowering::composite;
  t.add({"aten::unbind.int(Tensor(a -> *) self, int dim=0) -> Tensor(a)[]", C, unbind});
  for (const char* name : {"movedim", "moveaxis"}) {
    const std::string base = std::string("aten::") + name;
    t.add({(base + ".int(Tensor(a) self, int source, int destination) -> Tensor(a)").c_str(), C, movedim});
    t.add({(base + ".intlist(Tensor(a) self, int[] source, int[] destination) -> Tensor(a)").c_str(), C, movedim});
  }
  t.add({"aten::swapaxes(Tensor(a) self, int axis0, int axis1) -> Tensor(a)", C, transpose});
  t.add({"aten::swapdims(Tensor(a) self, int dim0, int dim1) -> Tensor(a)", C, transpose});
  t.add({"aten::tile(Tensor self, int[] dims) -> Tensor", C, tile});
  t.add({"aten::repeat_interleave.self_int(Tensor self, SymInt repeats, int? dim=None, *, int? output_size=None) -> Tensor",
         C, repeat_interleave});
  t.add({"aten::outer(Tensor self, Tensor vec2) -> Tensor", C, outer});
  t.add({"aten::ger(Tensor self, Tensor vec2) -> Tensor", C, outer});
  t.add({"aten::dot(Tensor self, Tensor tensor) -> Tensor", C, dot});
  t.add({"aten::mv(Tensor self, Tensor vec) -> Tensor", C, mv});
  t.add({"aten::diff(Tensor self, int n=1, int dim=-1, Tensor? prepend=None, Tensor? append=None) -> Tensor", C, diff});
  // Along one dim, by an index tensor: advanced indexing (passes/decompose_gather.cpp).
  t.add({"aten::gather(Tensor self, int dim, Tensor index, *, bool sparse_grad=False) -> Tensor", C, gather});
  t.add({"aten::scatter.src(Tensor self, int dim, Tensor index, Tensor src) -> Tensor", C, same_as_input});
  t.add({"aten::scatter.value(Tensor self, int dim, Tensor index, Scalar value) -> Tensor", C, same_as_input});
  t.add({"aten::scatter_add(Tensor self, int dim, Tensor index, Tensor src) -> Tensor", C, same_as_input});
  t.add({"aten::scatter.reduce(Tensor self, int dim, Tensor index, Tensor src, *, str reduce) -> Tensor", C,
         same_as_input});
  t.add({"aten::scatter.value_reduce(Tensor self, int dim, Tensor index, Scalar value, *, str reduce) -> Tensor", C,
         same_as_input});
  t.add({"aten::scatter_reduce.two(Tensor self, int dim, Tensor index, Tensor src, str reduce, *, bool include_self=True) -> Tensor",
         C, same_as_input});
  t.add({"aten::index_reduce(Tensor self, int dim, Tensor index, Tensor source, str reduce, *, bool include_self=True) -> Tensor",
         C, same_as_input});
  // Whole slices along a dim, and the flattened tensor (decompose_gather.cpp).
  t.add({"aten::index_copy(Tensor self, int dim, Tensor index, Tensor source) -> Tensor", C, same_as_input});
  t.add({"aten::index_fill.int_Scalar(Tensor self, int dim, Tensor index, Scalar value) -> Tensor", C, same_as_input});
  t.add({"aten::index_fill.int_Tensor(Tensor self, int dim, Tensor index, Tensor value) -> Tensor", C, same_as_input});
  t.add({"aten::take(Tensor self, Tensor index) -> Tensor", C, take});
  t.add({"aten::put(Tensor self, Tensor index, Tensor source, bool accumulate=False) -> Tensor", C, same_as_input});
  t.add({"aten::masked_scatter(Tensor self, Tensor mask, Tensor source) -> Tensor", C, same_as_input});
  // Tensors built from others' sizes or values (decompose_construct.cpp).
  for (const char* name : {"tril_indices", "triu_indices"})
    t.add({(std::string("aten::") + name + "(int row, int col, int offset=0, *, ScalarType? dtype=4, Layout? layout=None, "
                                           "Device? device=None, bool? pin_memory=None) -> Tensor").c_str(),
           C, triangle_indices});
  t.add({"aten::cartesian_prod(Tensor[] tensors) -> Tensor", C, cartesian_prod});
  t.add({"aten::block_diag(Tensor[] tensors) -> Tensor", C, block_diag});
  t.add({"aten::vander(Tensor x, int? N=None, bool increasing=False) -> Tensor", C, vander});
  t.add({"aten::linspace(Scalar start, Scalar end, int steps, *, ScalarType? dtype=None, Layout? layout=None, "
         "Device? device=None, bool? pin_memory=None) -> Tensor",
         C, spaced});
  t.add({"aten::logspace(Scalar start, Scalar end, int steps, float base=10., *, ScalarType? dtype=None, "
         "Layout? layout=None, Device? device=None, bool? pin_memory=None) -> Tensor",
         C, spaced});
  // Signal windows (decompose_construct.cpp).
  const std::string factory = "*, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None) -> Tensor";
  auto add_window = [&](const std::string& head) { t.add({("aten::" + head + factory).c_str(), C, window}); };
  for (const char* name : {"hann_window", "hamming_window", "bartlett_window", "blackman_window", "kaiser_window"}) {
    add_window(std::string(name) + "(int window_length, ");
    add_window(std::string(name) + ".periodic(int window_length, bool periodic, ");
  }
  add_window("hamming_window.periodic_alpha(int window_length, bool periodic, float alpha, ");
  add_window("hamming_window.periodic_alpha_beta(int window_length, bool periodic, float alpha, float beta, ");
  add_window("kaiser_window.beta(int window_length, bool periodic, float beta, ");
  t.add({"aten::meshgrid(Tensor[] tensors) -> Tensor[]", C, meshgrid});
  t.add({"aten::meshgrid.indexing(Tensor[] tensors, *, str indexing) -> Tensor[]", C, meshgrid});
  // Stacking, matrix transposes and diagonals, written with cat, reshape,
  // transpose and gathers (decompose_rearrange.cpp).
  for (const char* name : {"hstack", "vstack", "dstack", "column_stack"})
    t.add({(std::string("aten::") + name + "(Tensor[] tensors) -> Tensor").c_str(), C, stacks});
  for (const char* name : {"mT", "mH", "matrix_H", "adjoint"})
    t.add({(std::string("aten::") + name + "(Tensor(a) self) -> Tensor(a)").c_str(), C, last_two_swapped});
  t.add({"aten::fliplr(Tensor self) -> Tensor", C, same_as_input});
  t.add({"aten::flipud(Tensor self) -> Tensor", C, same_as_input});
  t.add({"aten::diagonal(Tensor(a) self, int offset=0, int dim1=0, int dim2=1) -> Tensor(a)", C, diagonal});
  t.add({"aten::diag(Tensor self, int diagonal=0) -> Tensor", C, diag});
  t.add({"aten::rot90(Tensor self, int k=1, int[] dims=[0,1]) -> Tensor", C, rot90});
  t.add({"aten::take_along_dim(Tensor self, Tensor indices, int? dim=None) -> Tensor", C, take_along_dim});
  t.add({"aten::pixel_unshuffle(Tensor self, int downscale_factor) -> Tensor", C, pixel_unshuffle});
  t.add({"aten::channel_shuffle(Tensor self, int groups) -> Tensor", C, same_as_input});
  t.add({"aten::kron(Tensor self, Tensor other) -> Tensor", C, kron});
  t.add({"aten::cross(Tensor self, Tensor other, int? dim=None) -> Tensor", C, binary_broadcast});
  t.add({"aten::linalg_cross(Tensor self, Tensor other, *, int dim=-1) -> Tensor", C, binary_broadcast});
  t.add({"aten::addmv(Tensor self, Tensor mat, Tensor vec, *, Scalar beta=1, Scalar alpha=1) -> Tensor", C, addmv});
  t.add({"aten::addbmm(Tensor self, Tensor batch1, Tensor batch2, *, Scalar beta=1, Scalar alpha=1) -> Tensor", C,
         addbmm});
  // Reshaping conveniences, as reshape, expand and gathers (decompose_rearrange.cpp).
  t.add({"aten::reshape_as(Tensor(a) self, Tensor other) -> Tensor(a)", C, reshaped_as});
  t.add({"aten::view_as(Tensor(a) self, Tensor other) -> Tensor(a)", C, reshaped_as});
  t.add({"aten::ravel(Tensor(a) self) -> Tensor(a)", C, ravel});
  t.add({"aten::broadcast_to(Tensor(a) self, SymInt[] size) -> Tensor(a)", C, expand});
  for (const char* name : {"atleast_1d", "atleast_2d", "atleast_3d"})
    t.add({(std::string("aten::") + name + "(Tensor self) -> Tensor").c_str(), C, atleast});
  t.add({"aten::unfold(Tensor(a) self, int dimension, int size, int step) -> Tensor(a)", C, unfold});
  t.add({"aten::diag_embed(Tensor self, int offset=0, int dim1=-2, int dim2=-1) -> Tensor", C, diag_embed});
}

}  // namespace wick::ir
