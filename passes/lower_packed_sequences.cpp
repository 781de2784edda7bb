#include "passes/lower_packed_sequences.h"

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "ir/builder.h"
#include "ir/constant_value.h"

namespace wick::passes {
namespace {

using ir::Builder;
using ir::Node;
using ir::Value;

// A packed batch in padded form.
struct Padded {
  Value* dense;    // [B, T, *], batch first; what follows a row's last step does not matter
  Value* lengths;  // [B] int64
  int64_t steps;   // T
};

const char* padded_layer(const std::string& kind) {
  if (kind == "aten::lstm.data") return "wick::lstm_padded";
  if (kind == "aten::gru.data") return "wick::gru_padded";
  if (kind == "aten::rnn_tanh.data") return "wick::rnn_tanh_padded";
  if (kind == "aten::rnn_relu.data") return "wick::rnn_relu_padded";
  return nullptr;
}

// Queries whose answer the padded form shares with the packed one.
bool same_answer(const Node* n) {
  static const std::set<std::string> queries = {"prim::dtype", "prim::device", "prim::is_cuda", "prim::requires_grad",
                                                "aten::is_floating_point"};
  return queries.count(n->kind()) > 0;
}

class PackedLowering {
 public:
  explicit PackedLowering(ir::Graph& g) : graph_(g), b_(g) {}

  bool run() {
    // Collected first: handling a node inserts nodes before it and may
    // replace it.
    std::vector<Node*> nodes;
    ir::walk(graph_.block(), [&](Node* n) { nodes.push_back(n); });
    for (Node* n : nodes) node(n);
    if (lowered_.empty()) return false;
    for (const auto* values : {&data_, &batch_sizes_})
      for (const auto& [value, padded] : *values)
        for (const ir::Use& use : value->uses())
          if (!done_.count(use.user))
            throw use.user->error("a packed sequence (nn.utils.rnn.pack_padded_sequence) reaches " + use.user->kind() +
                                  "; wick runs packed sequences only through nn.LSTM, nn.GRU, nn.RNN, "
                                  "pad_packed_sequence and batch_sizes[k]");
    for (auto it = lowered_.rbegin(); it != lowered_.rend(); ++it) (*it)->destroy();
    return true;
  }

 private:
  void at(Node* n) {
    b_.set_insertion_point(n);
    b_.set_source(n->source_location(), n->source_line());
  }

  static const Padded* find(const std::map<const Value*, Padded>& in, const Value* v) {
    auto it = in.find(v);
    return it == in.end() ? nullptr : &it->second;
  }

  void node(Node* n) {
    if (n->is("aten::_pack_padded_sequence")) return pack(n);
    if (n->num_inputs() == 0) return;
    if (const Padded* p = find(data_, n->input(0))) {
      if (padded_layer(n->kind())) return layer(n, *p);
      if (n->is("aten::_pad_packed_sequence")) return pad(n, *p);
      if (same_answer(n)) n->set_input(0, p->dense);
      return;
    }
    if (const Padded* p = find(batch_sizes_, n->input(0))) {
      if (n->is("aten::select.int")) return batch_size(n, *p);
      if (n->is("aten::size.int")) return longest(n, *p);
      if (same_answer(n) || n->is("aten::dim")) n->set_input(0, p->lengths);
    }
  }

  bool constant_flag(Node* n, size_t i, const char* what) {
    auto v = ir::constant_bool(n->input(i));
    if (!v) throw n->error(std::string(what) + " must be a constant");
    return *v;
  }

  Value* any(Value* bools) { return b_.op("aten::Bool.Tensor", {b_.op("aten::any", {bools})}); }
  Value* int_(int64_t v) { return b_.constant_int(v); }
  Value* longest_length(const Padded& p) { return b_.op("aten::Int.Tensor", {b_.op("aten::max", {p.lengths})}); }

  // _pack_padded_sequence(input, lengths, batch_first) -> (data, batch_sizes)
  void pack(Node* n) {
    at(n);
    Value* input = n->input(0);
    Value* dense = constant_flag(n, 2, "batch_first") ? input : b_.op("aten::transpose.int", {input, int_(0), int_(1)});
    const auto& shape = dense->type()->shape();
    if (!shape || shape->size() < 2 || !(*shape)[1].is_static())
      throw n->error("needs sequences padded to a length known when compiling, got " +
                     (shape ? ir::shape_str(*shape) : std::string("an input of unknown shape")));
    const int64_t steps = (*shape)[1].value();
    Value* lengths = n->input(1);
    const auto& counted = lengths->type()->shape();
    if (counted && counted->size() == 1 && (*counted)[0].is_static() && (*shape)[0].is_static() &&
        (*counted)[0].value() != (*shape)[0].value())
      throw n->error("Expected `len(lengths)` to be equal to batch_size, but got " +
                     std::to_string((*counted)[0].value()) + " (batch_size=" + std::to_string((*shape)[0].value()) + ")");
    b_.raise_if(b_.op("aten::ne.int", {b_.op("aten::size.int", {lengths, int_(0)}), b_.op("aten::size.int", {dense, int_(0)})}),
                "Expected `len(lengths)` to be equal to batch_size");
    b_.raise_if(any(b_.op("aten::le.Scalar", {lengths, int_(0)})),
                "Length of all samples has to be greater than 0, but found an element in 'lengths' that is <= 0");
    Value* later = b_.op("aten::slice.Tensor", {lengths, int_(0), int_(1), int_(INT64_MAX), int_(1)});
    Value* earlier = b_.op("aten::slice.Tensor", {lengths, int_(0), int_(0), int_(-1), int_(1)});
    b_.raise_if(any(b_.op("aten::gt.Tensor", {later, earlier})),
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You can pass "
                "`enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep this requirement");
    b_.raise_if(any(b_.op("aten::gt.Scalar", {lengths, int_(steps)})),
                "pack_padded_sequence: a length exceeds the " + std::to_string(steps) +
                    " steps of the padded input");
    const Padded p{dense, lengths, steps};
    data_[n->output(0)] = p;
    batch_sizes_[n->output(1)] = p;
    lowered(n);
  }

  const Padded& same_batch(Node* n, const Padded& data) {
    const Padded* sizes = find(batch_sizes_, n->input(1));
    if (!sizes || sizes->lengths != data.lengths)
      throw n->error("needs the batch_sizes of the packed sequence whose data it is given");
    return *sizes;
  }

  // lstm.data(data, batch_sizes, hx, params, has_biases, num_layers,
  // dropout, train, bidirectional) and the others alike.
  void layer(Node* n, const Padded& p) {
    same_batch(n, p);
    at(n);
    std::vector<Value*> inputs = {p.dense};
    for (size_t i = 2; i < 9; ++i) inputs.push_back(n->input(i));
    inputs.push_back(b_.constant_bool(true));
    inputs.push_back(p.lengths);
    Node* padded = b_.create(padded_layer(n->kind()), inputs);
    for (size_t i = 1; i < n->num_outputs(); ++i) n->output(i)->replace_all_uses_with(padded->output(i));
    data_[n->output(0)] = {padded->output(0), p.lengths, p.steps};
    lowered(n);
  }

  // _pad_packed_sequence(data, batch_sizes, batch_first, padding_value,
  // total_length) -> (padded, lengths)
  void pad(Node* n, const Padded& p) {
    same_batch(n, p);
    at(n);
    const bool batch_first = constant_flag(n, 2, "batch_first");
    Value* total = n->input(4);
    b_.raise_if(b_.op("aten::lt.int", {total, longest_length(p)}),
                "Expected total_length to be at least the length of the longest sequence in input");
    Value* dense = p.dense;
    int64_t length = p.steps;
    if (auto given = ir::constant_int(total)) {
      length = *given;
      const int64_t rank = static_cast<int64_t>(dense->type()->shape()->size());
      if (length > p.steps) {  // constant_pad_nd lists (before, after) pairs from the last dim
        std::vector<int64_t> widths(static_cast<size_t>(2 * (rank - 1)), 0);
        widths.back() = length - p.steps;
        dense = b_.op("aten::constant_pad_nd", {dense, b_.constant_int_list(widths), b_.constant_float(0.0)});
      } else if (length < p.steps) {
        dense = b_.op("aten::slice.Tensor", {dense, int_(1), int_(0), int_(length), int_(1)});
      }
    } else {
      b_.raise_if(b_.op("aten::ne.int", {total, int_(p.steps)}),
                  "pad_packed_sequence: the longest sequence is shorter than the " + std::to_string(p.steps) +
                      " steps of the padded input, so PyTorch's result would be shorter too; wick computes it only "
                      "when the longest sequence fills the padded input or total_length is given");
    }
    Value* none = b_.constant_none();
    Value* positions = b_.op("aten::arange", {int_(length), none, none, none, none});
    Value* present = b_.op("aten::lt.Tensor", {positions, b_.op("aten::unsqueeze", {p.lengths, int_(1)})});
    for (size_t d = 2; d < dense->type()->shape()->size(); ++d) present = b_.op("aten::unsqueeze", {present, int_(-1)});
    Value* out = b_.op("aten::where.ScalarOther", {present, dense, n->input(3)});
    if (!batch_first) out = b_.op("aten::transpose.int", {out, int_(0), int_(1)});
    n->output(0)->replace_all_uses_with(out);
    n->output(1)->replace_all_uses_with(p.lengths);
    lowered(n);
  }

  // batch_sizes[k]: how many rows have more than k steps; for k = 0 every
  // row (the lengths are checked to be positive), which folds.
  void batch_size(Node* n, const Padded& p) {
    auto dim = ir::constant_int(n->input(1));
    auto k = ir::constant_int(n->input(2));
    if (!dim || *dim != 0 || !k || *k < 0)
      throw n->error("reads a packed sequence's batch_sizes other than as batch_sizes[k] for a constant k >= 0");
    at(n);
    Value* count = *k == 0 ? b_.op("prim::NumToTensor.Scalar", {b_.op("aten::size.int", {p.lengths, int_(0)})})
                           : b_.op("aten::sum", {b_.op("aten::gt.Scalar", {p.lengths, int_(*k)}), b_.constant_none()});
    ir::replace_node(n, {count});
  }

  // batch_sizes.size(0): the longest length.
  void longest(Node* n, const Padded& p) {
    auto dim = ir::constant_int(n->input(1));
    if (!dim || (*dim != 0 && *dim != -1)) throw n->error("batch_sizes has one dim");
    at(n);
    ir::replace_node(n, {longest_length(p)});
  }

  void lowered(Node* n) {
    done_.insert(n);
    lowered_.push_back(n);
  }

  ir::Graph& graph_;
  Builder b_;
  std::map<const Value*, Padded> data_;         // packed data
  std::map<const Value*, Padded> batch_sizes_;  // their batch_sizes
  std::set<const Node*> done_;
  std::vector<Node*> lowered_;
};

}  // namespace

bool lower_packed_sequences(ir::Graph& graph) { return PackedLowering(graph).run(); }

}  // namespace wick::passes
