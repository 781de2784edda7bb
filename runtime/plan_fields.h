// The fields of the Plan's structs (runtime/plan.h), each listed once. The
// binary writer and reader (plan_io.cpp) and the text printer
// (plan_printer.cpp) all walk these lists, so a new field is one line here
// plus a bump of kPlanFormatVersion; plan_io.cpp fails to compile when a
// struct changes size without this file being looked at.
//
// `S` is the struct or its const version; `v(name, field)` is called for each
// field in file order.
#pragma once

#include "runtime/plan.h"

namespace wick::rt {

template <typename V, typename S>
void tensor_spec_fields(V&& v, S& s) {
  v("dtype", s.dtype);
  v("sizes", s.sizes);
  v("size_symbols", s.size_symbols);
}

template <typename V, typename S>
void block_fields(V&& v, S& b) {
  v("instrs", b.instrs);
  v("params", b.params);
  v("results", b.results);
}

template <typename V, typename S>
void instr_fields(V&& v, S& in) {
  v("op", in.op);
  v("index", in.index);
  v("inputs", in.inputs);
  v("outputs", in.outputs);
  v("ints", in.ints);
  v("floats", in.floats);
  v("dtype", in.dtype);
  v("scalar", in.scalar);
  v("text", in.text);
  v("blocks", in.blocks);
  v("post_op", in.post_op);
  v("post_alpha", in.post_alpha);
  v("post_beta", in.post_beta);
  v("arena_offset", in.arena_offset);
  v("int_symbols", in.int_symbols);
  v("sliced", in.sliced);
  v("source_file", in.source_file);
  v("source_line_number", in.source_line_number);
  v("source_column", in.source_column);
  v("source_text", in.source_text);
}

template <typename V, typename S>
void plan_fields(V&& v, S& p) {
  v("num_slots", p.num_slots);
  v("inputs", p.inputs);
  v("input_specs", p.input_specs);
  v("outputs", p.outputs);
  v("tensors", p.tensors);
  v("kernels", p.kernels);
  v("body", p.body);
  v("arena_bytes", p.arena_bytes);
  v("symbols", p.symbols);
  v("device", p.device);
  v("launch_dims", p.launch_dims);
}

}  // namespace wick::rt
