// Decomposition rules for the recurrent layers (aten::lstm, gru, rnn_tanh,
// rnn_relu: nn.LSTM, nn.GRU and nn.RNN), unrolled over the sequence, which
// must have a static length. Per layer and direction, the input projection
// of every step is one product ([B, T, I] x w_ih^T); each step then adds
// h x w_hh^T and applies the cell's gates, as ATen's cells do:
//   LSTM: i, f, g, o = chunks of the gates; c = sig(f) c + sig(i) tanh(g);
//         h = sig(o) tanh(c), projected by h x w_hr^T when proj_size > 0
//         (then h is [B, P] and w_hh [4H, P])
//   GRU:  r = sig(x_r + h_r); z = sig(x_z + h_z); n = tanh(x_n + r h_n);
//         h = n + z (h - n)
//   RNN:  h = tanh or relu(x + h x w_hh^T + biases)
// The reverse direction of a bidirectional layer runs from the last step
// to the first; the two directions' outputs are concatenated on the feature
// dim, and dropout (when training) sits between layers. The cells
// (lstm_cell, gru_cell, rnn_tanh_cell, rnn_relu_cell: nn.LSTMCell, ...)
// are one such step. The padded layers (wick::lstm_padded, ...; packed
// sequences, passes/lower_packed_sequences.h) take the rows' lengths last:
// at step t a row with no more than t steps keeps its state and outputs
// zeros, so each direction sees only the row's own steps.
// The dynamically quantized layers (aten::quantized_lstm, quantized_gru
// and the quantized::quantized_*_cell_dynamic cells: what quantize_dynamic
// makes of nn.LSTM, nn.GRU and the cells) are the same steps with each
// product a quantized::linear_dynamic of the int8 weight, which quantizes
// its input per call: as in ATen, a layer's input projection quantizes the
// whole sequence at once, and each step its hidden state.
#include <string>

#include "ir/constant_value.h"
#include "passes/decompose_rules.h"

namespace wick::passes::decompose_detail {

namespace {

using ir::Value;

enum class Cell { lstm, gru, rnn_tanh, rnn_relu };

// Unrolling makes a few ops per step; beyond this many steps (sequence
// length x layers x directions) the graph would be too large to compile.
constexpr int64_t kMaxSteps = 4096;

std::vector<Value*> list_items(Emitter& e, Value* list, const char* what) {
  const ir::Node* n = list->node();
  if (!n->is("prim::ListConstruct")) throw e.node().error(std::string("needs ") + what + " as a list built in the graph");
  return n->inputs();
}

Value* narrow(Emitter& e, Value* x, int64_t dim, int64_t start, int64_t length) {
  return e.op("aten::slice.Tensor", {x, e.int_(dim), e.int_(start), e.int_(start + length), e.int_(1)});
}

Value* sigmoid(Emitter& e, Value* x) { return e.op("aten::sigmoid", {x}); }
Value* tanh(Emitter& e, Value* x) { return e.op("aten::tanh", {x}); }

// One of a cell's two products, x w^T + b: in floats, or with the int8
// weight w of a dynamically quantized layer, its scale and zero point.
struct Product {
  Value* w = nullptr;
  Value* b = nullptr;  // null without biases
  Value* scale = nullptr;  // the quantized layers'
  Value* zero_point = nullptr;
  bool reduce_range = false;
};

Value* apply(Emitter& e, const Product& p, Value* x) {
  Value* b = p.b ? p.b : e.none();
  if (!p.scale) return e.op("aten::linear", {x, p.w, b});
  return e.op("quantized::linear_dynamic", {x, p.w, p.scale, p.zero_point, b, e.bool_(p.reduce_range)});
}

struct Weights {
  Product ih, hh;
  Value* w_hr = nullptr;  // the LSTM's projection, when it has one
};

// One layer in one direction over x [B, T, I] from h (and c) [B, H]: the
// outputs [B, T, H] and the last h (and c).
struct Run {
  Value* output;
  Value* h;
  Value* c;
};

// One step of `cell` from the projected input xt [B, G*H] (x w_ih^T + b_ih)
// and the state h (and c) [B, H], which it updates.
void step(Emitter& e, Cell cell, Value* xt, const Weights& w, Value*& h, Value*& c, int64_t hidden) {
  Value* ht = apply(e, w.hh, h);  // [B, G*H]
  auto gate = [&](Value* v, int64_t k) { return narrow(e, v, 1, k * hidden, hidden); };
  switch (cell) {
    case Cell::lstm: {
      Value* gates = e.add(xt, ht);
      Value* i = sigmoid(e, gate(gates, 0));
      Value* f = sigmoid(e, gate(gates, 1));
      Value* g = tanh(e, gate(gates, 2));
      Value* o = sigmoid(e, gate(gates, 3));
      c = e.add(e.mul(f, c), e.mul(i, g));
      h = e.mul(o, tanh(e, c));
      if (w.w_hr) h = e.op("aten::linear", {h, w.w_hr, e.none()});
      break;
    }
    case Cell::gru: {
      Value* r = sigmoid(e, e.add(gate(xt, 0), gate(ht, 0)));
      Value* z = sigmoid(e, e.add(gate(xt, 1), gate(ht, 1)));
      Value* n = tanh(e, e.add(gate(xt, 2), e.mul(r, gate(ht, 2))));
      h = e.add(n, e.mul(z, e.sub(h, n)));
      break;
    }
    case Cell::rnn_tanh: h = tanh(e, e.add(xt, ht)); break;
    case Cell::rnn_relu: h = e.op("aten::relu", {e.add(xt, ht)}); break;
  }
}

// Whether each row has step t: [B, 1] bool from the rows' lengths [B].
Value* has_step(Emitter& e, Value* lengths, int64_t t) {
  return e.op("aten::unsqueeze", {e.op("aten::gt.Scalar", {lengths, e.int_(t)}), e.int_(1)});
}

Run run_direction(Emitter& e, Cell cell, Value* x, int64_t steps, bool reverse, const Weights& w, Value* h, Value* c,
                  int64_t hidden, Value* lengths) {
  Value* projected = apply(e, w.ih, x);  // [B, T, G*H]
  std::vector<Value*> outputs(static_cast<size_t>(steps));
  for (int64_t s = 0; s < steps; ++s) {
    const int64_t t = reverse ? steps - 1 - s : s;
    Value* xt = e.op("aten::select.int", {projected, e.int_(1), e.int_(t)});  // [B, G*H]
    Value *h_before = h, *c_before = c;
    step(e, cell, xt, w, h, c, hidden);
    outputs[static_cast<size_t>(t)] = h;
    if (lengths) {
      Value* present = has_step(e, lengths, t);
      outputs[static_cast<size_t>(t)] = e.op("aten::where.ScalarOther", {present, h, e.float_(0.0)});
      h = e.op("aten::where.self", {present, h, h_before});
      if (c) c = e.op("aten::where.self", {present, c, c_before});
    }
  }
  return {e.op("aten::stack", {e.list(outputs), e.int_(1)}), h, c};
}

// How a layer's op lays out its arguments.
enum class Form {
  plain,      // aten::lstm.input, ...: params w_ih, w_hh[, b_ih, b_hh][, w_hr] per layer and direction
  padded,     // wick::lstm_padded, ...: as plain, with the rows' lengths last
  quantized,  // aten::quantized_lstm.input, quantized_gru.input: params as below, reduce_range last
};

// The quantized layers' params per layer and direction (frontend:
// recurrent_cell_parameters): W_ih, its scale, zero point, b_ih, then the
// same four for the hidden product.
constexpr size_t kQuantizedParams = 8;

std::vector<Weights> layer_weights(Emitter& e, Form form, Cell cell, int64_t layers, bool bidirectional) {
  const size_t count = static_cast<size_t>(layers * (bidirectional ? 2 : 1));
  const std::vector<Value*> params = list_items(e, e.input(2), "its weights");
  std::vector<Weights> out(count);
  if (form == Form::quantized) {
    const size_t last = e.node().num_inputs() - 1;
    const std::vector<int64_t> reduce_range = e.constant_ints(last, count, "reduce_range");
    if (params.size() != count * kQuantizedParams)
      throw e.node().error("takes the parameters of " + std::to_string(count) + " quantized cells (" +
                           std::to_string(count * kQuantizedParams) + " tensors), got " +
                           std::to_string(params.size()) + " tensors");
    for (size_t k = 0; k < count; ++k) {
      Value* const* p = &params[k * kQuantizedParams];
      const bool reduce = reduce_range[k] != 0;
      out[k].ih = {p[0], p[3], p[1], p[2], reduce};
      out[k].hh = {p[4], p[7], p[5], p[6], reduce};
    }
    return out;
  }
  const bool lstm = cell == Cell::lstm;
  const bool has_biases = e.constant_bool(3, "has_biases");
  const size_t plain = has_biases ? 4 : 2;
  // An LSTM with proj_size > 0 has w_hr after each layer's weights.
  const bool projected = lstm && params.size() == count * (plain + 1);
  const size_t per = projected ? plain + 1 : plain;
  if (params.size() != count * per)
    throw e.node().error("takes " + std::to_string(count * plain) + (lstm ? " (or with projections " +
                         std::to_string(count * (plain + 1)) + ")" : "") + " weight tensors for " +
                         std::to_string(layers) + " layers" + (bidirectional ? " in two directions" : "") + ", got " +
                         std::to_string(params.size()));
  for (size_t k = 0; k < count; ++k) {
    const size_t at = k * per;
    out[k].ih = {params[at], has_biases ? params[at + 2] : nullptr};
    out[k].hh = {params[at + 1], has_biases ? params[at + 3] : nullptr};
    if (projected) out[k].w_hr = params[at + plain];
  }
  return out;
}

std::vector<Value*> recurrent(Emitter& e, Cell cell, Form form) {
  const bool lstm = cell == Cell::lstm;
  const int64_t layers = e.constant_int(4, "num_layers");
  const bool bidirectional = e.constant_bool(7, "bidirectional");
  const bool batch_first = e.constant_bool(8, "batch_first");
  const auto dropout = ir::constant_double(e.input(5));
  if (!dropout) throw e.node().error("dropout must be a constant");
  const int64_t directions = bidirectional ? 2 : 1;
  const int64_t gates = cell == Cell::lstm ? 4 : cell == Cell::gru ? 3 : 1;
  if (form == Form::quantized && lstm) {
    if (!e.constant_bool(10, "use_dynamic"))
      throw e.node().error("runs only dynamically quantized cells (use_dynamic=True)");
    if (!e.absent(9) && e.constant_int(9, "dtype") != static_cast<int64_t>(12))  // torch.qint8
      throw e.node().error("runs only int8 weights (dtype torch.qint8), got dtype " +
                           std::to_string(e.constant_int(9, "dtype")));
  }

  Value* lengths = form == Form::padded ? e.input(9) : nullptr;
  Value* x = e.input(0);
  if (!batch_first) x = e.op("aten::transpose.int", {x, e.int_(0), e.int_(1)});  // [B, T, I]
  const std::vector<ir::Dim>& xs = e.shape(x, "input");
  if (xs.size() != 3) throw e.node().error("needs a 3-D input, got rank " + std::to_string(xs.size()));
  if (!xs[1].is_static()) throw e.node().error("needs a sequence length known when compiling, got " + xs[1].str());
  const int64_t steps = xs[1].value();
  if (layers < 1) throw e.node().error("num_layers must be positive, got " + std::to_string(layers));
  if (steps * layers * directions > kMaxSteps)
    throw e.node().error("unrolls into " + std::to_string(steps * layers * directions) + " steps (sequence length " +
                         std::to_string(steps) + " x layers x directions), more than " + std::to_string(kMaxSteps));

  const std::vector<Weights> weights = layer_weights(e, form, cell, layers, bidirectional);
  Value *h0 = e.input(1), *c0 = nullptr;
  if (lstm) {
    const std::vector<Value*> hx = list_items(e, e.input(1), "hx");
    if (hx.size() != 2) throw e.node().error("needs hx = [h0, c0], got " + std::to_string(hx.size()) + " tensors");
    h0 = hx[0];
    c0 = hx[1];
  }
  // The cell's size is c0's (h0's is the projection's, when there is one).
  const std::vector<ir::Dim>& hs = e.shape(lstm ? c0 : h0, "hx");
  if (hs.size() != 3 || !hs[2].is_static()) throw e.node().error("needs hx of a known shape [layers * directions, B, H]");
  const int64_t hidden = hs[2].value();
  const std::vector<ir::Dim>& whs = e.shape(weights[0].hh.w, "w_hh");
  if (whs.size() != 2 || !whs[0].is_static() || whs[0].value() != gates * hidden)
    throw e.node().error("w_hh of layer 0 must have " + std::to_string(gates * hidden) + " rows for hidden size " +
                         std::to_string(hidden));

  std::vector<Value*> h_n, c_n;
  for (int64_t l = 0; l < layers; ++l) {
    std::vector<Value*> outs;
    for (int64_t d = 0; d < directions; ++d) {
      const int64_t k = l * directions + d;
      Value* h = e.op("aten::select.int", {h0, e.int_(0), e.int_(k)});
      Value* c = lstm ? e.op("aten::select.int", {c0, e.int_(0), e.int_(k)}) : nullptr;
      Run r = run_direction(e, cell, x, steps, d == 1, weights[static_cast<size_t>(k)], h, c, hidden, lengths);
      outs.push_back(r.output);
      h_n.push_back(r.h);
      if (lstm) c_n.push_back(r.c);
    }
    x = directions == 1 ? outs[0] : e.op("aten::cat", {e.list(outs), e.int_(2)});
    if (*dropout > 0 && l + 1 < layers) x = e.op("aten::dropout", {x, e.input(5), e.input(6)});
  }
  if (!batch_first) x = e.op("aten::transpose.int", {x, e.int_(0), e.int_(1)});
  std::vector<Value*> out = {x, e.op("aten::stack", {e.list(h_n), e.int_(0)})};
  if (lstm) out.push_back(e.op("aten::stack", {e.list(c_n), e.int_(0)}));
  return out;
}

template <Cell cell, Form form>
std::vector<Value*> layer(Emitter& e) {
  return recurrent(e, cell, form);
}

// One step of nn.LSTMCell, GRUCell or RNNCell: input [B, I] or [I], hx
// (h, or [h, c] for the LSTM cell) [B, H] or [H]. The quantized cells take
// each packed weight as its int8 weight, scale, zero point and bias
// (inputs 2-5 and 6-9); ATen's cells add those biases and reduce the
// input's range (levels 0..127).
std::vector<Value*> cell_step(Emitter& e, Cell cell, bool quantized) {
  const bool lstm = cell == Cell::lstm;
  Value* x = e.input(0);
  Value *h = e.input(1), *c = nullptr;
  if (lstm) {
    const std::vector<Value*> hx = list_items(e, e.input(1), "hx");
    if (hx.size() != 2) throw e.node().error("needs hx = [h, c], got " + std::to_string(hx.size()) + " tensors");
    h = hx[0];
    c = hx[1];
  }
  const bool unbatched = e.shape(x, "input").size() == 1;
  auto batched = [&](Value* v) { return unbatched ? e.op("aten::unsqueeze", {v, e.int_(0)}) : v; };
  auto unbatch = [&](Value* v) { return unbatched ? e.op("aten::squeeze.dim", {v, e.int_(0)}) : v; };
  auto optional = [&](size_t i) { return e.absent(i) ? nullptr : e.input(i); };
  Weights w;
  if (quantized) {
    w.ih = {e.input(2), optional(5), e.input(3), e.input(4), true};
    w.hh = {e.input(6), optional(9), e.input(7), e.input(8), true};
  } else {
    w.ih = {e.input(2), optional(4)};
    w.hh = {e.input(3), optional(5)};
  }
  const std::vector<ir::Dim>& whs = e.shape(w.hh.w, "w_hh");
  if (whs.size() != 2 || !whs[1].is_static()) throw e.node().error("needs w_hh of a known shape [G * H, H]");
  const int64_t hidden = whs[1].value();
  const int64_t gates = lstm ? 4 : cell == Cell::gru ? 3 : 1;
  if (!whs[0].is_static() || whs[0].value() != gates * hidden)
    throw e.node().error("w_hh must have " + std::to_string(gates * hidden) + " rows for hidden size " +
                         std::to_string(hidden) + ", got " + whs[0].str());
  h = batched(h);
  if (c) c = batched(c);
  Value* xt = apply(e, w.ih, batched(x));
  step(e, cell, xt, w, h, c, hidden);
  if (lstm) return {unbatch(h), unbatch(c)};
  return {unbatch(h)};
}

template <Cell cell, bool quantized>
std::vector<Value*> one_step(Emitter& e) {
  return cell_step(e, cell, quantized);
}

// passes/lower_packed_sequences rewrites every packed-sequence op whose
// data comes from pack_padded_sequence; one left here has none.
[[noreturn]] std::vector<Value*> packed_leftover(Emitter& e) {
  throw e.node().error("needs a packed sequence made by pack_padded_sequence in the same method");
}

}  // namespace

std::vector<NamedMultiRule> recurrent_multi_rules() {
  using enum Cell;
  return {{"aten::lstm.input", layer<lstm, Form::plain>},
          {"aten::gru.input", layer<gru, Form::plain>},
          {"aten::rnn_tanh.input", layer<rnn_tanh, Form::plain>},
          {"aten::rnn_relu.input", layer<rnn_relu, Form::plain>},
          {"aten::lstm_cell", one_step<lstm, false>},
          {"aten::gru_cell", one_step<gru, false>},
          {"aten::rnn_tanh_cell", one_step<rnn_tanh, false>},
          {"aten::rnn_relu_cell", one_step<rnn_relu, false>},
          {"wick::lstm_padded", layer<lstm, Form::padded>},
          {"wick::gru_padded", layer<gru, Form::padded>},
          {"wick::rnn_tanh_padded", layer<rnn_tanh, Form::padded>},
          {"wick::rnn_relu_padded", layer<rnn_relu, Form::padded>},
          {"aten::quantized_lstm.input", layer<lstm, Form::quantized>},
          {"aten::quantized_gru.input", layer<gru, Form::quantized>},
          {"quantized::quantized_lstm_cell_dynamic", one_step<lstm, true>},
          {"quantized::quantized_gru_cell_dynamic", one_step<gru, true>},
          {"quantized::quantized_rnn_tanh_cell_dynamic", one_step<rnn_tanh, true>},
          {"quantized::quantized_rnn_relu_cell_dynamic", one_step<rnn_relu, true>},
          {"aten::_pack_padded_sequence", packed_leftover},
          {"aten::_pad_packed_sequence", packed_leftover},
          {"aten::lstm.data", packed_leftover},
          {"aten::gru.data", packed_leftover},
          {"aten::rnn_tanh.data", packed_leftover},
          {"aten::rnn_relu.data", packed_leftover}};
}

}  // namespace wick::passes::decompose_detail
