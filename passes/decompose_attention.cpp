// Decomposition rules for the fused attention ops that PyTorch's
// nn.MultiheadAttention and nn.TransformerEncoderLayer call on their fast
// path (eval mode, no grad): _native_multi_head_attention and
// _transformer_encoder_layer_fwd. Both become the products, softmax and
// layer norms they compute, as ATen's CPU kernels do (the query scaled by
// 1/sqrt(head_dim) before q @ k^T, masked positions set to -inf; a float mask
// hides where it is nonzero, as ATen reads it). And
// PyTorch 2.x's scaled_dot_product_attention, as its reference math. The
// nested-tensor ops left after lower_nested_tensors are errors.
#include <cmath>

#include "ir/constant_value.h"
#include "passes/decompose_rules.h"

namespace wick::passes::decompose_detail {

namespace {

using ir::Value;

struct Attention {
  Value* query;
  Value* key;
  Value* value;
  int64_t embed_dim;
  int64_t heads;
  Value* qkv_weight;
  Value* qkv_bias;
  Value* proj_weight;
  Value* proj_bias;
  Value* mask;  // nullptr: none
  int64_t mask_type;
};

Value* narrow(Emitter& e, Value* x, int64_t dim, int64_t start, int64_t length) {
  return e.op("aten::slice.Tensor", {x, e.int_(dim), e.int_(start), e.int_(start + length), e.int_(1)});
}

// [B, T, E] -> [B, heads, T, head_dim]
Value* split_heads(Emitter& e, Value* x, int64_t heads, int64_t head_dim) {
  Value* sizes = e.sizes(x, {Size::dim_of(0), Size::dim_of(1), Size::fixed(heads), Size::fixed(head_dim)});
  return e.op("aten::transpose.int", {e.op("aten::reshape", {x, sizes}), e.int_(1), e.int_(2)});
}

void check_batched(Emitter& e, Value* v, const char* what) {
  if (e.shape(v, what).size() != 3)
    throw e.node().error(std::string("needs a batched [batch, sequence, embedding] ") + what + ", got rank " +
                         std::to_string(e.shape(v, what).size()));
}

// The positions a fused op's mask hides, broadcastable to the scores
// [B, H, L, S]. ATen reads any mask as booleans (a float mask's nonzero
// entries, -inf among them, hide), by its mask_type: 0, a [L, S] attention
// mask; 1, a [B, S] key padding mask; 2, a mask as big as the scores (what
// PyTorch 2.x passes after merging both).
Value* hidden_positions(Emitter& e, const Attention& a) {
  Value* mask = a.mask;
  const auto& dt = mask->type()->dtype();
  if (!dt) throw e.node().error("the dtype of the attention mask must be known");
  if (*dt != DType::b8) mask = e.op("aten::ne.Scalar", {mask, e.int_(0)});
  const size_t rank = e.shape(mask, "mask").size();
  switch (a.mask_type) {
    case 0:
      if (rank != 2) throw e.node().error("an attention mask (mask_type 0) must be [target, source]");
      return mask;
    case 1:
      // The same keys are hidden from every query.
      if (rank != 2) throw e.node().error("a key padding mask (mask_type 1) must be [batch, source length]");
      return e.op("aten::reshape", {mask, e.sizes(mask, {Size::dim_of(0), Size::fixed(1), Size::fixed(1),
                                                          Size::dim_of(1)})});
    case 2:
      if (rank != 4) throw e.node().error("a merged mask (mask_type 2) must be [batch, heads, target, source]");
      return mask;
    default:
      throw e.node().error("mask_type " + std::to_string(a.mask_type) + " is not one of 0, 1 and 2");
  }
}

// The attention output [B, L, E] and the softmax probabilities [B, H, L, S].
std::pair<Value*, Value*> attend(Emitter& e, const Attention& a) {
  check_batched(e, a.query, "query");
  check_batched(e, a.key, "key");
  check_batched(e, a.value, "value");
  const int64_t E = a.embed_dim, H = a.heads;
  if (H <= 0 || E % H != 0)
    throw e.node().error("embed_dim " + std::to_string(E) + " is not divisible by num_heads " + std::to_string(H));
  const int64_t D = E / H;
  Value *q, *k, *v;
  if (a.query == a.key && a.key == a.value) {
    // Self-attention: one product with the packed weight.
    Value* qkv = e.op("aten::linear", {a.query, a.qkv_weight, a.qkv_bias});
    q = narrow(e, qkv, 2, 0, E);
    k = narrow(e, qkv, 2, E, E);
    v = narrow(e, qkv, 2, 2 * E, E);
  } else {
    auto project = [&](Value* x, int64_t part) {
      return e.op("aten::linear", {x, narrow(e, a.qkv_weight, 0, part * E, E), narrow(e, a.qkv_bias, 0, part * E, E)});
    };
    q = project(a.query, 0);
    k = project(a.key, 1);
    v = project(a.value, 2);
  }
  q = e.op("aten::div.Scalar", {split_heads(e, q, H, D), e.float_(std::sqrt(static_cast<double>(D)))});
  k = split_heads(e, k, H, D);
  v = split_heads(e, v, H, D);
  Value* scores = e.op("aten::matmul", {q, e.op("aten::transpose.int", {k, e.int_(-2), e.int_(-1)})});
  if (a.mask) scores = e.op("aten::where.ScalarSelf", {hidden_positions(e, a), e.float_(-INFINITY), scores});
  Value* probs = e.softmax(scores, -1);
  Value* context = e.op("aten::transpose.int", {e.op("aten::matmul", {probs, v}), e.int_(1), e.int_(2)});
  context = e.op("aten::reshape", {context, e.sizes(context, {Size::dim_of(0), Size::dim_of(1), Size::fixed(E)})});
  return {e.op("aten::linear", {context, a.proj_weight, a.proj_bias}), probs};
}

Value* optional_input(Emitter& e, size_t i) { return e.absent(i) ? nullptr : e.input(i); }

int64_t mask_type(Emitter& e, size_t i, Value* mask) {
  if (!mask) return -1;
  if (e.absent(i)) throw e.node().error("a mask needs its mask_type");
  return e.constant_int(i, "mask_type");
}

// _native_multi_head_attention(query, key, value, embed_dim, num_head,
// qkv_weight, qkv_bias, proj_weight, proj_bias, mask, need_weights,
// average_attn_weights, mask_type) -> (output, weights)
std::vector<Value*> multi_head_attention(Emitter& e) {
  Value* mask = optional_input(e, 9);
  Attention a{e.input(0), e.input(1), e.input(2), e.constant_int(3, "embed_dim"), e.constant_int(4, "num_head"),
              e.input(5), e.input(6), e.input(7), e.input(8), mask, mask_type(e, 12, mask)};
  auto [out, probs] = attend(e, a);
  if (!e.constant_bool(10, "need_weights")) return {out, nullptr};
  if (e.constant_bool(11, "average_attn_weights")) probs = e.mean(probs, {1}, false);
  return {out, probs};
}

Value* layer_norm(Emitter& e, Value* x, int64_t dim, Value* weight, Value* bias, Value* eps) {
  return e.op("aten::layer_norm", {x, e.ints({dim}), weight, bias, eps, e.bool_(true)});
}

// _transformer_encoder_layer_fwd(src, embed_dim, num_heads, qkv_weight,
// qkv_bias, proj_weight, proj_bias, use_gelu, norm_first, eps, norm_weight_1,
// norm_bias_1, norm_weight_2, norm_bias_2, ffn_weight_1, ffn_bias_1,
// ffn_weight_2, ffn_bias_2, mask, mask_type): self-attention and the
// feed-forward block, each with its residual add and layer norm (before the
// block with norm_first, after it otherwise).
Value* transformer_encoder_layer(Emitter& e) {
  Value* src = e.input(0);
  const int64_t E = e.constant_int(1, "embed_dim");
  const bool use_gelu = e.constant_bool(7, "use_gelu");
  const bool norm_first = e.constant_bool(8, "norm_first");
  Value* eps = e.input(9);
  auto norm1 = [&](Value* x) { return layer_norm(e, x, E, e.input(10), e.input(11), eps); };
  auto norm2 = [&](Value* x) { return layer_norm(e, x, E, e.input(12), e.input(13), eps); };
  Value* x = norm_first ? norm1(src) : src;
  Value* mask = optional_input(e, 18);
  Attention a{x, x, x, E, e.constant_int(2, "num_heads"), e.input(3), e.input(4), e.input(5), e.input(6), mask,
              mask_type(e, 19, mask)};
  x = e.add(attend(e, a).first, src);
  if (!norm_first) x = norm1(x);
  Value* residual = x;
  if (norm_first) x = norm2(x);
  Value* hidden = e.op("aten::linear", {x, e.input(14), e.input(15)});
  hidden = use_gelu ? e.op("aten::gelu", {hidden, e.str_("none")}) : e.op("aten::relu", {hidden});
  x = e.add(e.op("aten::linear", {hidden, e.input(16), e.input(17)}), residual);
  return norm_first ? x : norm2(x);
}

// scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal,
// scale, enable_gqa) = dropout(softmax(q @ k^T * scale + bias)) @ v, scale
// 1/sqrt(E) by default; a boolean mask (or is_causal's lower triangle)
// keeps the positions where it is true, a float mask is added.
Value* scaled_dot_product_attention(Emitter& e) {
  Value *q = e.input(0), *k = e.input(1), *v = e.input(2);
  const std::vector<ir::Dim>& qs = e.shape(q, "query");
  const std::vector<ir::Dim>& ks = e.shape(k, "key");
  if (e.constant_bool(7, "enable_gqa") && qs.size() >= 3 &&
      !(qs[qs.size() - 3].is_static() && ks.size() >= 3 && qs[qs.size() - 3] == ks[ks.size() - 3]))
    throw e.node().error("enable_gqa with fewer key/value heads than query heads is not supported yet");
  Value* scale = e.absent(6) ? nullptr : e.input(6);
  if (!scale) {
    const ir::Dim& E = qs.back();
    if (!E.is_static()) throw e.node().error("the query's last dim must be known to scale by 1/sqrt(E)");
    scale = e.float_(1.0 / std::sqrt(static_cast<double>(E.value())));
  }
  Value* scores = e.op("aten::matmul", {q, e.op("aten::transpose.int", {k, e.int_(-2), e.int_(-1)})});
  scores = e.op("aten::mul.Scalar", {scores, scale});
  const int64_t last = static_cast<int64_t>(e.shape(scores, "scores").size()) - 1;
  auto keep_only = [&](Value* keep) {
    return e.op("aten::masked_fill.Scalar", {scores, e.op("aten::logical_not", {keep}), e.float_(-INFINITY)});
  };
  const bool causal = e.constant_bool(5, "is_causal");
  if (causal) {
    if (!e.absent(3)) throw e.node().error("an explicit attn_mask should not be set when is_causal=True");
    Value* ones = e.op("aten::ones_like", {scores, e.int_(*torch_code_of(DType::b8)), e.none(), e.none(), e.none(),
                                           e.none()});
    scores = keep_only(e.op("aten::tril", {ones, e.int_(0)}));
  } else if (!e.absent(3)) {
    Value* mask = e.input(3);
    const auto& dt = mask->type()->dtype();
    if (!dt) throw e.node().error("the dtype of attn_mask must be known");
    scores = *dt == DType::b8 ? keep_only(mask) : e.add(scores, mask);
  }
  Value* probs = e.softmax(scores, last);
  auto p = ir::constant_double(e.input(4));
  if (!p) throw e.node().error("dropout_p must be a constant");
  if (*p > 0) probs = e.op("aten::dropout", {probs, e.input(4), e.bool_(true)});
  return e.op("aten::matmul", {probs, v});
}

// The nested-tensor ops are lowered before decomposing (canonicalize,
// lower_nested_tensors); one still here is used off that path (padding a
// tensor that is not nested, which PyTorch refuses too).
Value* not_nested(Emitter& e) {
  throw e.node().error(e.node().kind() +
                       " is supported only on nn.TransformerEncoder's path for a key padding mask, on the nested "
                       "tensor made there");
}

}  // namespace

std::vector<NamedRule> attention_rules() {
  return {{"aten::_transformer_encoder_layer_fwd", transformer_encoder_layer},
          {"aten::scaled_dot_product_attention", scaled_dot_product_attention},
          {"aten::_nested_tensor_from_mask", not_nested},
          {"aten::_nested_tensor_from_mask_left_aligned", not_nested},
          {"aten::to_padded_tensor", not_nested}};
}

std::vector<NamedMultiRule> attention_multi_rules() {
  return {{"aten::_native_multi_head_attention", multi_head_attention}};
}

}  // namespace wick::passes::decompose_detail
