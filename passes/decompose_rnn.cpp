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

struct Weights {
  Value *w_ih, *w_hh, *b_ih, *b_hh;  // biases null without has_biases
  Value* w_hr = nullptr;             // the LSTM's projection, when it has one
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
  Value* ht = e.op("aten::linear", {h, w.w_hh, w.b_hh ? w.b_hh : e.none()});  // [B, G*H]
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
  Value* projected = e.op("aten::linear", {x, w.w_ih, w.b_ih ? w.b_ih : e.none()});  // [B, T, G*H]
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

std::vector<Value*> recurrent(Emitter& e, Cell cell) {
  const bool lstm = cell == Cell::lstm;
  const bool has_biases = e.constant_bool(3, "has_biases");
  const int64_t layers = e.constant_int(4, "num_layers");
  const bool bidirectional = e.constant_bool(7, "bidirectional");
  const bool batch_first = e.constant_bool(8, "batch_first");
  const auto dropout = ir::constant_double(e.input(5));
  if (!dropout) throw e.node().error("dropout must be a constant");
  const int64_t directions = bidirectional ? 2 : 1;
  const int64_t gates = cell == Cell::lstm ? 4 : cell == Cell::gru ? 3 : 1;

  Value* lengths = e.node().num_inputs() == 10 ? e.input(9) : nullptr;  // the padded layers'
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

  const std::vector<Value*> params = list_items(e, e.input(2), "its weights");
  const size_t plain = has_biases ? 4 : 2;
  const size_t count = static_cast<size_t>(layers * directions);
  // An LSTM with proj_size > 0 has w_hr after each layer's weights.
  const bool projected = lstm && params.size() == count * (plain + 1);
  const size_t per = projected ? plain + 1 : plain;
  if (params.size() != count * per)
    throw e.node().error("takes " + std::to_string(count * plain) + (lstm ? " (or with projections " +
                         std::to_string(count * (plain + 1)) + ")" : "") + " weight tensors for " +
                         std::to_string(layers) + " layers" + (bidirectional ? " in two directions" : "") + ", got " +
                         std::to_string(params.size()));
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
  const std::vector<ir::Dim>& whs = e.shape(params[1], "w_hh");
  if (whs.size() != 2 || !whs[0].is_static() || whs[0].value() != gates * hidden)
    throw e.node().error("w_hh of layer 0 must have " + std::to_string(gates * hidden) + " rows for hidden size " +
                         std::to_string(hidden));

  std::vector<Value*> h_n, c_n;
  for (int64_t l = 0; l < layers; ++l) {
    std::vector<Value*> outs;
    for (int64_t d = 0; d < directions; ++d) {
      const int64_t k = l * directions + d;
      const size_t at = static_cast<size_t>(k) * per;
      Weights w{params[at], params[at + 1], has_biases ? params[at + 2] : nullptr, has_biases ? params[at + 3] : nullptr,
                projected ? params[at + plain] : nullptr};
      Value* h = e.op("aten::select.int", {h0, e.int_(0), e.int_(k)});
      Value* c = lstm ? e.op("aten::select.int", {c0, e.int_(0), e.int_(k)}) : nullptr;
      Run r = run_direction(e, cell, x, steps, d == 1, w, h, c, hidden, lengths);
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

std::vector<Value*> lstm(Emitter& e) { return recurrent(e, Cell::lstm); }
std::vector<Value*> gru(Emitter& e) { return recurrent(e, Cell::gru); }
std::vector<Value*> rnn_tanh(Emitter& e) { return recurrent(e, Cell::rnn_tanh); }
std::vector<Value*> rnn_relu(Emitter& e) { return recurrent(e, Cell::rnn_relu); }

// One step of nn.LSTMCell, GRUCell or RNNCell: input [B, I] or [I], hx
// (h, or [h, c] for the LSTM cell) [B, H] or [H].
std::vector<Value*> cell_step(Emitter& e, Cell cell) {
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
  const std::vector<ir::Dim>& whs = e.shape(e.input(3), "w_hh");
  if (whs.size() != 2 || !whs[1].is_static()) throw e.node().error("needs w_hh of a known shape [G * H, H]");
  const int64_t hidden = whs[1].value();
  const int64_t gates = lstm ? 4 : cell == Cell::gru ? 3 : 1;
  if (!whs[0].is_static() || whs[0].value() != gates * hidden)
    throw e.node().error("w_hh must have " + std::to_string(gates * hidden) + " rows for hidden size " +
                         std::to_string(hidden) + ", got " + whs[0].str());
  Weights w{e.input(2), e.input(3), e.absent(4) ? nullptr : e.input(4), e.absent(5) ? nullptr : e.input(5)};
  h = batched(h);
  if (c) c = batched(c);
  Value* xt = e.op("aten::linear", {batched(x), w.w_ih, w.b_ih ? w.b_ih : e.none()});
  step(e, cell, xt, w, h, c, hidden);
  if (lstm) return {unbatch(h), unbatch(c)};
  return {unbatch(h)};
}

std::vector<Value*> lstm_cell(Emitter& e) { return cell_step(e, Cell::lstm); }
std::vector<Value*> gru_cell(Emitter& e) { return cell_step(e, Cell::gru); }
std::vector<Value*> rnn_tanh_cell(Emitter& e) { return cell_step(e, Cell::rnn_tanh); }
std::vector<Value*> rnn_relu_cell(Emitter& e) { return cell_step(e, Cell::rnn_relu); }

// passes/lower_packed_sequences rewrites every packed-sequence op whose
// data comes from pack_padded_sequence; one left here has none.
[[noreturn]] std::vector<Value*> packed_leftover(Emitter& e) {
  throw e.node().error("needs a packed sequence made by pack_padded_sequence in the same method");
}

}  // namespace

std::vector<NamedMultiRule> recurrent_multi_rules() {
  return {{"aten::lstm.input", lstm},         {"aten::gru.input", gru},
          {"aten::rnn_tanh.input", rnn_tanh}, {"aten::rnn_relu.input", rnn_relu},
          {"aten::lstm_cell", lstm_cell},     {"aten::gru_cell", gru_cell},
          {"aten::rnn_tanh_cell", rnn_tanh_cell}, {"aten::rnn_relu_cell", rnn_relu_cell},
          {"wick::lstm_padded", lstm},        {"wick::gru_padded", gru},
          {"wick::rnn_tanh_padded", rnn_tanh}, {"wick::rnn_relu_padded", rnn_relu},
          {"aten::_pack_padded_sequence", packed_leftover}, {"aten::_pad_packed_sequence", packed_leftover},
          {"aten::lstm.data", packed_leftover},   {"aten::gru.data", packed_leftover},
          {"aten::rnn_tanh.data", packed_leftover}, {"aten::rnn_relu.data", packed_leftover}};
}

}  // namespace wick::passes::decompose_detail
