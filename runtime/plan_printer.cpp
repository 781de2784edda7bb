#include "runtime/plan_printer.h"

#include <cstdio>
#include <vector>

#include "runtime/plan_fields.h"

namespace wick::rt {

// Each switch lists every enumerator without a default, so a new one that is
// not named here is a compiler warning, not a silently rejected plan.
const char* op_name(Op op) {
  switch (op) {
    case Op::alloc: return "alloc";
    case Op::kernel: return "kernel";
    case Op::extern_call: return "extern_call";
    case Op::view: return "view";
    case Op::select: return "select";
    case Op::scalar: return "scalar";
    case Op::constant: return "constant";
    case Op::to_tensor: return "to_tensor";
    case Op::item: return "item";
    case Op::move: return "move";
    case Op::if_: return "if";
    case Op::loop: return "loop";
    case Op::raise: return "raise";
    case Op::store: return "store";
    case Op::nonzero: return "nonzero";
    case Op::repeat_index: return "repeat_index";
  }
  return nullptr;
}

const char* scalar_type_name(ScalarType type) {
  switch (type) {
    case ScalarType::none: return "none";
    case ScalarType::int_: return "int";
    case ScalarType::float_: return "float";
    case ScalarType::bool_: return "bool";
    case ScalarType::str: return "str";
  }
  return nullptr;
}

const char* scalar_op_name(ScalarOp op) {
  switch (op) {
    case ScalarOp::add_int: return "add_int";
    case ScalarOp::sub_int: return "sub_int";
    case ScalarOp::mul_int: return "mul_int";
    case ScalarOp::floordiv_int: return "floordiv_int";
    case ScalarOp::remainder_int: return "remainder_int";
    case ScalarOp::neg_int: return "neg_int";
    case ScalarOp::add_float: return "add_float";
    case ScalarOp::sub_float: return "sub_float";
    case ScalarOp::mul_float: return "mul_float";
    case ScalarOp::div_float: return "div_float";
    case ScalarOp::neg_float: return "neg_float";
    case ScalarOp::eq: return "eq";
    case ScalarOp::ne: return "ne";
    case ScalarOp::lt: return "lt";
    case ScalarOp::le: return "le";
    case ScalarOp::gt: return "gt";
    case ScalarOp::ge: return "ge";
    case ScalarOp::not_: return "not";
    case ScalarOp::and_: return "and";
    case ScalarOp::or_: return "or";
    case ScalarOp::int_to_float: return "int_to_float";
    case ScalarOp::float_to_int: return "float_to_int";
    case ScalarOp::to_bool: return "to_bool";
    case ScalarOp::size: return "size";
    case ScalarOp::max_int: return "max_int";
    case ScalarOp::min_int: return "min_int";
    case ScalarOp::derive_index: return "derive_index";
    case ScalarOp::call_index: return "call_index";
    case ScalarOp::and_int: return "and_int";
    case ScalarOp::or_int: return "or_int";
    case ScalarOp::xor_int: return "xor_int";
    case ScalarOp::shl_int: return "shl_int";
    case ScalarOp::shr_int: return "shr_int";
  }
  return nullptr;
}

const char* extern_op_name(ExternOp op) {
  switch (op) {
    case ExternOp::matmul: return "matmul";
    case ExternOp::linear: return "linear";
    case ExternOp::addmm: return "addmm";
    case ExternOp::conv1d: return "conv1d";
    case ExternOp::conv3d: return "conv3d";
    case ExternOp::conv2d: return "conv2d";
    case ExternOp::max_pool2d: return "max_pool2d";
    case ExternOp::avg_pool2d: return "avg_pool2d";
    case ExternOp::adaptive_avg_pool2d: return "adaptive_avg_pool2d";
    case ExternOp::conv_input_backward: return "conv_input_backward";
    case ExternOp::conv_weight_backward: return "conv_weight_backward";
    case ExternOp::max_pool2d_backward: return "max_pool2d_backward";
    case ExternOp::avg_pool2d_backward: return "avg_pool2d_backward";
    case ExternOp::adaptive_avg_pool2d_backward: return "adaptive_avg_pool2d_backward";
    case ExternOp::lu_solve: return "lu_solve";
    case ExternOp::slogdet: return "slogdet";
    case ExternOp::cholesky: return "cholesky";
    case ExternOp::triangular_solve: return "triangular_solve";
    case ExternOp::symmetric_eigen: return "symmetric_eigen";
    case ExternOp::singular_values: return "singular_values";
    case ExternOp::qr_factor: return "qr_factor";
    case ExternOp::matrix_exponential: return "matrix_exponential";
    case ExternOp::fourier_transform: return "fourier_transform";
    case ExternOp::short_time_transform: return "short_time_transform";
    case ExternOp::ctc_loss: return "ctc_loss";
    case ExternOp::ctc_loss_backward: return "ctc_loss_backward";
    case ExternOp::lu_factor: return "lu_factor";
    case ExternOp::lu_permutation: return "lu_permutation";
    case ExternOp::quantized_linear_dynamic: return "quantized_linear_dynamic";
    case ExternOp::conv2d_int8: return "conv2d_int8";
  }
  return nullptr;
}

const char* post_op_name(PostOp op) {
  switch (op) {
    case PostOp::none: return "none";
    case PostOp::relu: return "relu";
    case PostOp::clip: return "clip";
    case PostOp::gelu_erf: return "gelu_erf";
    case PostOp::gelu_tanh: return "gelu_tanh";
    case PostOp::sigmoid: return "sigmoid";
    case PostOp::tanh: return "tanh";
    case PostOp::silu: return "silu";
    case PostOp::hardswish: return "hardswish";
  }
  return nullptr;
}

const char* plan_device_name(PlanDevice device) {
  switch (device) {
    case PlanDevice::cpu: return "cpu";
    case PlanDevice::cuda: return "cuda";
  }
  return nullptr;
}

namespace {

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string number(double d) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", d);
  return buf;
}

std::string unknown(const char* what, int value) { return "<bad " + std::string(what) + " " + std::to_string(value) + ">"; }

// Formats one field value. Slot vectors (the only vectors of int32) print as
// %n so that plans read like code.
struct ValueText {
  std::string operator()(int32_t v) const { return std::to_string(v); }
  std::string operator()(int64_t v) const { return std::to_string(v); }
  std::string operator()(uint8_t v) const { return std::to_string(v); }
  std::string operator()(float v) const { return number(v); }
  std::string operator()(double v) const { return number(v); }
  std::string operator()(const std::string& s) const { return quoted(s); }
  std::string operator()(DType t) const {
    for (DType d : kAllDTypes)
      if (d == t) return std::string(dtype_name(t));
    return unknown("dtype", static_cast<int>(t));
  }
  std::string operator()(ScalarType t) const {
    const char* n = scalar_type_name(t);
    return n ? n : unknown("scalar type", static_cast<int>(t));
  }
  std::string operator()(Op op) const {
    const char* n = op_name(op);
    return n ? n : unknown("op", static_cast<int>(op));
  }
  std::string operator()(PlanDevice d) const {
    const char* n = plan_device_name(d);
    return n ? n : unknown("device", static_cast<int>(d));
  }
  std::string operator()(const std::vector<Slot>& slots) const {
    std::string s = "[";
    for (size_t i = 0; i < slots.size(); ++i) s += (i ? ", %" : "%") + std::to_string(slots[i]);
    return s + "]";
  }
  template <typename T>
  std::string operator()(const std::vector<T>& xs) const {
    std::string s = "[";
    for (size_t i = 0; i < xs.size(); ++i) s += (i ? ", " : "") + (*this)(xs[i]);
    return s + "]";
  }
  std::string operator()(const std::pair<Slot, std::string>& p) const {
    return "%" + std::to_string(p.first) + " = " + quoted(p.second);
  }
  std::string operator()(const TensorSpec& s) const { return (*this)(s.dtype) + (*this)(s.sizes); }
  std::string operator()(const Block&) const { return "<block>"; }
  std::string operator()(const std::vector<Block>& blocks) const {
    return std::to_string(blocks.size()) + " blocks";
  }
  std::string operator()(const std::vector<Instr>& instrs) const {
    return std::to_string(instrs.size()) + " instrs";
  }
};

// The fields of `x` as name=value, in order.
template <typename T, typename Fields>
std::vector<std::pair<std::string, std::string>> field_texts(const T& x, Fields fields) {
  std::vector<std::pair<std::string, std::string>> out;
  fields([&](const char* name, const auto& value) { out.emplace_back(name, ValueText{}(value)); }, x);
  return out;
}

// The instruction's head: op, and what its `index` selects.
std::string head(const Instr& in) {
  std::string s = ValueText{}(in.op);
  const int i = in.index;
  auto sub = [&](const char* n, const char* what) { s += " " + (n ? std::string(n) : unknown(what, i)); };
  switch (in.op) {
    case Op::kernel: s += " #" + std::to_string(i); break;
    case Op::extern_call: sub(extern_op_name(static_cast<ExternOp>(i)), "extern op"); break;
    case Op::scalar: sub(scalar_op_name(static_cast<ScalarOp>(i)), "scalar op"); break;
    case Op::item: s += i == 0 ? " int" : i == 1 ? " float" : i == 2 ? " bool" : " " + unknown("item kind", i); break;
    default:
      if (i != 0) s += " index=" + std::to_string(i);
      break;
  }
  return s;
}

void print_block(const Block& b, int depth, std::string& out);

void print_instr_at(const Instr& in, int depth, std::string& out) {
  static const auto defaults = field_texts(Instr{}, [](auto&& v, auto& x) { instr_fields(v, x); });
  const auto fields = field_texts(in, [](auto&& v, auto& x) { instr_fields(v, x); });
  out.append(static_cast<size_t>(depth) * 2, ' ');
  out += head(in);
  for (size_t i = 0; i < fields.size(); ++i) {
    const auto& [name, text] = fields[i];
    // The source place only serves error messages.
    if (name == "op" || name == "index" || name == "blocks" || name.rfind("source_", 0) == 0) continue;
    const bool typed = name == "dtype" && (in.op == Op::alloc || in.op == Op::to_tensor);
    if (text == defaults[i].second && !typed) continue;
    const char* post = name == "post_op" ? post_op_name(static_cast<PostOp>(in.post_op)) : nullptr;
    out += " " + name + "=" + (post ? std::string(post) : text);
  }
  out += "\n";
  for (size_t b = 0; b < in.blocks.size(); ++b) {
    out.append(static_cast<size_t>(depth) * 2 + 2, ' ');
    out += "block " + std::to_string(b) + ":\n";
    print_block(in.blocks[b], depth + 2, out);
  }
}

void print_block(const Block& b, int depth, std::string& out) {
  for (const auto& [name, text] : field_texts(b, [](auto&& v, auto& x) { block_fields(v, x); })) {
    if (name == "instrs" || text == "[]") continue;
    out.append(static_cast<size_t>(depth) * 2, ' ');
    out += name + " " + text + "\n";
  }
  for (const Instr& in : b.instrs) print_instr_at(in, depth, out);
}

}  // namespace

std::string print_instr(const Instr& instr) {
  std::string out;
  print_instr_at(instr, 0, out);
  return out;
}

std::string print_plan(const Plan& plan) {
  std::string out = "plan\n";
  for (const auto& [name, text] : field_texts(plan, [](auto&& v, auto& x) { plan_fields(v, x); })) {
    if (name == "body") continue;
    out += "  " + name + " " + text + "\n";
  }
  out += "  body\n";
  print_block(plan.body, 2, out);
  return out;
}

}  // namespace wick::rt
