// Internal to the emitter: the Emitter class shared by emitter*.cpp, which
// hold module setup, statements, expressions and calls respectively.
#pragma once

#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "frontend/code_index.h"
#include "frontend/emitter.h"
#include "frontend/op_matcher.h"
#include "frontend/pt_archive.h"
#include "frontend/sugared_value.h"
#include "ir/builder.h"
#include "ir/module.h"

namespace wick {

// The classes `with` takes, as scripts save them: torch.no_grad(), under
// which nothing passes a gradient back, and the profiler's record_function
// and torch.jit.strict_fusion, which change nothing a plan computes.
inline constexpr const char* kNoGradClass = "__torch__.torch.autograd.grad_mode.no_grad";
inline constexpr const char* kRecordFunctionClass = "__torch__.torch.autograd.profiler.record_function";
inline constexpr const char* kStrictFusionClass = "__torch__.torch.jit.strict_fusion";

// A counted loop that writes a dict unrolls up to this many trips.
inline constexpr int64_t kMaxDictLoopTrips = 4096;

inline bool is_context_class(const std::string& path) {
  return path == kNoGradClass || path == kRecordFunctionClass || path == kStrictFusionClass;
}

// One function being inlined: its file, its variables, and whether control
// left it (a raise, or the final return).
struct Frame {
  const ts::SourceFile* file = nullptr;
  std::map<std::string, SugaredValue> env;
  bool terminated = false;
  int nesting = 0;  // depth of if/for/while around the current statement
  std::optional<SugaredValue> returned;
};

struct CallArgs {
  std::vector<SugaredValue> positional;
  std::vector<std::pair<std::string, SugaredValue>> keywords;
};

class Emitter {
 public:
  Emitter(const PtArchive& archive, const CodeIndex& code, ir::Module& module, std::string display_name,
          EmitOptions options = {});
  std::unique_ptr<ir::Graph> emit_method(const std::string& method);

 private:
  // ---- emitter.cpp: module objects and bookkeeping
  const CodeIndex::Class& class_of(const PickleValue& object, const Frame& f, const SourceLocation& loc);
  void register_tensors(const PickleValue& object, const std::string& path, int depth);
  SugaredValue object_attribute(const SugaredValue& obj, const std::string& name, Frame& f,
                                const SourceLocation& loc);
  // A method of the object's class, bound to it, or a class constant.
  std::optional<SugaredValue> class_member(const SugaredValue& obj, const CodeIndex::Class& cls,
                                           const std::string& name);
  // The variable that holds an attribute a method assigned (`self.x = v`),
  // "@self.path.x": frames carry it like a local, so that if-joins, loops
  // and later reads see the assignment for the rest of the call.
  std::string attribute_slot(const SugaredValue& obj, const std::string& name);
  void assign_attribute(const ts::AttributeExpr& target, SugaredValue v, Frame& f);
  SugaredValue constant_from_pickle(const PickleValue& v, Frame& f, const SourceLocation& loc, int depth = 0);
  ir::Value* param(const std::string& name);
  SugaredValue tensor_inputs(const ir::TypePtr& type, const std::string& name, int depth);
  // Training mode: an in-place op wrote `result` over the module tensor `old`.
  void store_in_place(ir::Value* old, ir::Value* result, Frame& f, const SourceLocation& loc);
  [[noreturn]] void fail(const Frame& f, const SourceLocation& loc, const std::string& msg,
                         const std::string& op = {}) const;
  SugaredValue unsupported(const Frame& f, const SourceLocation& loc, const std::string& what);
  [[noreturn]] void throw_unsupported() const;  // every unsupported op met so far
  std::string dict_key(const ts::Expr& key, Frame& f);  // a known string or int (int_dict_key), else an error
  // torch.dict(), __contains__, len and _set_item on dicts; nullopt for other calls.
  std::optional<SugaredValue> dict_call(const std::string& name, const ts::CallExpr& e, const CallArgs& args, Frame& f);
  // copy and _set_item on lists (new list values; _set_item rebinds the
  // list's variables); nullopt for other calls.
  std::optional<SugaredValue> list_call(const std::string& name, const CallArgs& args, Frame& f,
                                        const SourceLocation& loc);
  // The elements of a list literal or constant list (constants made at the
  // insertion point); nullopt for a list computed otherwise.
  std::optional<std::vector<ir::Value*>> list_items(ir::Value* list);
  // A placeholder of `type` standing for the placeholder `v`, at the insertion point.
  ir::Value* placeholder_as(ir::Value* v, const ir::TypePtr& type);
  void set_source(const Frame& f, const SourceLocation& loc);

  // ---- emitter_objects.cpp: objects of TorchScript classes made while emitting
  // `cls.__new__(cls)`: a new object, whose attributes live in slots as
  // module objects' assigned ones do; __init__ then assigns them.
  SugaredValue make_object(const CodeIndex::Class& cls, Frame& f, const SourceLocation& loc);
  bool is_made_object(const PickleValue* o) const { return made_.count(o) > 0; }
  // After an if whose branches bound a name to objects each made itself
  // (`p = Pair(x) if c else Pair(y)`, objects made after the first
  // `made_before` ones): one new object, bound in both branches, whose
  // attributes the if then yields. `names` gains its slots. Returns
  // whether it joined any.
  bool join_made_objects(Frame (&branch)[2], std::set<std::string>& names, size_t made_before, Frame& f,
                         const SourceLocation& loc);
  SugaredValue made_object_attribute(const SugaredValue& obj, const std::string& name, Frame& f,
                                     const SourceLocation& loc);
  void assign_made_object_attribute(const SugaredValue& obj, const std::string& name, SugaredValue v, Frame& f,
                                    const SourceLocation& loc);
  // "an object of class __torch__.Pair", for messages.
  std::string describe_object(const SugaredValue& obj) const;
  // Objects of torch's C++ classes (`__torch__.torch.classes.quantized.
  // LinearPackedParamsBase`) hold the state their __getstate__ saved, a
  // tuple. Passed to an op, such an object stands for that state's values in
  // order: its tensors become module buffers named "<path>.<i>"; a quantized
  // tensor stands for three, its integers "<path>.<i>" and their f32
  // "<path>.<i>.scale" and "<path>.<i>.zero_point" (QuantizedParts).
  static bool is_bound_class_object(const SugaredValue& v);
  std::vector<ir::Value*> bound_class_state(const SugaredValue& obj, Frame& f, const SourceLocation& loc);
  // A tensor of such a state as buffers named `path` (three for a quantized one).
  void push_state_tensor(const PickleValue& t, const std::string& path, std::vector<ir::Value*>& values);
  // A list of such objects (`annotate(List[__torch__.torch.classes.rnn.
  // CellParamsBase], [])`, `[param0, param1]`): it exists only while
  // emitting; `torch.append` adds to it where no branch or loop decided at
  // run time surrounds the call.
  SugaredValue object_list(std::vector<SugaredValue> items, Frame& f, const SourceLocation& loc);
  static bool is_object_list_annotation(const ts::Expr& annotation);
  SugaredValue append_object(const CallArgs& args, Frame& f, const SourceLocation& loc);
  // A list of dynamically quantized recurrent cells' parameters
  // (`CellParamsBase` objects of kind "quantized_dynamic", what
  // quantize_dynamic makes of nn.LSTM and nn.GRU) passed to an op: per cell,
  // the input and hidden products' int8 weights, scales, zero points and
  // biases, [W_ih, W_ih.scale, W_ih.zero_point, b_ih, W_hh, ..., b_hh], and
  // each cell's reduce_range flag (an int list).
  struct RecurrentCellParameters {
    ir::Value* tensors;
    ir::Value* reduce_range;
  };
  RecurrentCellParameters recurrent_cell_parameters(const SugaredValue& list, Frame& f, const SourceLocation& loc);

  // ---- emitter_writes.cpp: in-place writes through views
  void note_view(ir::Node* n);  // records n's result as a view of its input when n is a view op
  ir::Value* view_root(ir::Value* v) const;  // the value v is a view (of a view...) of
  // The new value of the base of `view` once the view's elements are `updated`.
  ir::Value* unview(ir::Node* view, ir::Value* updated, Frame& f, const SourceLocation& loc);
  // The new value of v where `updated` holds v or a base v is a view of
  // (rebuilding the views in between), else null.
  ir::Value* rederive(ir::Value* v, std::map<const ir::Value*, ir::Value*>& updated, int depth = 0);
  // Whether a is b's view op for op (same ops, same arguments) over a_base
  // where b is over b_base.
  bool same_view(const ir::Value* a, const ir::Value* a_base, const ir::Value* b, const ir::Value* b_base) const;
  void rebind(SugaredValue& binding, std::map<const ir::Value*, ir::Value*>& updated);
  // An in-place op wrote `result` over the tensor `old`: rebinds old, the
  // bases it is a view of and their other views, in every frame.
  void write_through(ir::Value* old, ir::Value* result, Frame& f, const SourceLocation& loc);

  // ---- emitter_stmt.cpp
  void emit_block(const ts::Block& body, Frame& f);
  void emit_stmt(const ts::Stmt& s, Frame& f);
  void emit_assign(const ts::AssignStmt& s, Frame& f);
  void assign_target(const ts::Expr& target, SugaredValue v, Frame& f);
  void emit_if(const ts::IfStmt& s, Frame& f);
  void emit_with(const ts::WithStmt& s, Frame& f);
  // Names bound to tuples of one length on every live branch of an if join
  // part by part, each part under a name of its own, so that no tuple
  // crosses the if; returns the names split and their lengths, outermost
  // first, for join_tuple_parts to put back together.
  std::vector<std::pair<std::string, size_t>> split_tuples(Frame (&branch)[2], std::set<std::string>& names);
  void join_tuple_parts(const std::vector<std::pair<std::string, size_t>>& split, Frame& f);
  // Two list literals of one length joining after an if: a literal of the
  // if's per-element results, after `after`; null for other values.
  ir::Value* join_list_literals(ir::Node* node, ir::Value* const vals[2], ir::Node* after);
  void emit_for(const ts::ForStmt& s, Frame& f);
  void emit_while(const ts::WhileStmt& s, Frame& f);
  // The body emitted once per item, `target` bound to it.
  void unroll(const ts::Block& body, const ts::Expr& target, const std::vector<SugaredValue>& items, Frame& f);
  // Whether the body reads, writes or searches a dict by a key that is no literal.
  bool uses_dict_by_computed_key(const ts::Block& body, const Frame& f) const;
  bool leaves_like(const SugaredValue& shape, const SugaredValue& v, std::vector<ir::Value*>& out);
  void emit_loop(const ts::Block& body, const ts::Expr* target, Frame& f, const SourceLocation& loc,
                 ir::Value* trip_count, ir::Value* start_condition, const ts::Expr* while_cond,
                 const SugaredValue* iterable, bool ranged = false);
  void emit_raise(const SourceLocation& loc, ir::Value* message, Frame& f);

  // ---- emitter_expr.cpp
  SugaredValue emit_expr(const ts::Expr& e, Frame& f);
  ir::Value* emit_value(const ts::Expr& e, Frame& f);
  ir::Value* as_value(const SugaredValue& v, Frame& f, const SourceLocation& loc);
  ir::Value* as_condition(const SugaredValue& v, Frame& f, const SourceLocation& loc);
  SugaredValue emit_name(const ts::NameExpr& e, Frame& f);
  SugaredValue emit_attribute(const ts::AttributeExpr& e, Frame& f);
  SugaredValue emit_subscript(const ts::SubscriptExpr& e, Frame& f);
  SugaredValue emit_tensor_index(ir::Value* tensor, const ts::SubscriptExpr& e, Frame& f);
  SugaredValue emit_binary(const ts::BinaryExpr& e, Frame& f);
  SugaredValue emit_compare(const ts::CompareExpr& e, Frame& f);
  SugaredValue emit_short_circuit(const ts::Expr& lhs, const ts::Expr& rhs, bool is_and, Frame& f,
                                  const SourceLocation& loc);
  SugaredValue emit_conditional(const ts::ConditionalExpr& e, Frame& f);
  SugaredValue emit_list(const std::vector<ts::ExprPtr>& elts, Frame& f, const SourceLocation& loc,
                         ir::TypePtr declared = nullptr);
  ir::Value* constant(ir::AttrValue v, ir::TypePtr t);

  // ---- emitter_call.cpp
  SugaredValue emit_call(const ts::CallExpr& e, Frame& f);
  CallArgs emit_args(const ts::CallExpr& e, Frame& f);
  SugaredValue call_op(const std::string& base_name, const CallArgs& args, Frame& f, const SourceLocation& loc);
  SugaredValue named_tuple(const CodeIndex::Class& cls, const CallArgs& args, Frame& f, const SourceLocation& loc);
  // `closure`: the variables a nested def sees (SugaredValue::closure).
  SugaredValue call_function(const CodeIndex::Function& fn, const SugaredValue* self, const CallArgs& args,
                             Frame& caller, const SourceLocation& loc,
                             const std::map<std::string, SugaredValue>* closure = nullptr);
  // torch.jit.fork(fn, *args): the call runs where the fork is, and its
  // future is its result, which torch.wait hands back.
  SugaredValue call_fork(const ts::CallExpr& e, Frame& f);
  SugaredValue call_sorted(const ts::CallExpr& e, Frame& f);
  SugaredValue call_builtin(const std::string& name, const ts::CallExpr& e, Frame& f);
  // A str method on strings known now (frontend/string_methods.h).
  std::optional<SugaredValue> fold_string_call(const std::string& name, const OpCall& call);
  std::optional<SugaredValue> fold_scalar_op(const std::string& base, const std::vector<ir::Value*>& inputs,
                                             Frame& f);

  const PtArchive& archive_;
  const CodeIndex& code_;
  ir::Module& module_;
  std::string display_name_;
  EmitOptions options_;
  int no_grad_depth_ = 0;  // `with torch.no_grad()` blocks around the statement being emitted
  ir::Graph* graph_ = nullptr;
  std::optional<ir::Builder> builder_;
  std::map<std::string, ir::Value*> params_;
  ir::Node* last_param_ = nullptr;
  std::vector<std::string> unsupported_;
  std::string method_;  // the method being emitted
  std::set<const ir::Value*> poisoned_;  // stand-ins for values that failed to emit
  int inline_depth_ = 0;
  std::map<const ir::Value*, ir::Node*> views_;  // a view's value -> the view op that made it
  std::vector<Frame*> frames_;  // the frame each function being inlined emits into, innermost last
  std::map<const PickleValue*, std::string> object_paths_;  // the path each module object was first reached by
  std::set<std::string> attributes_read_;  // slots of attributes read from the file this call
  std::deque<PickleValue> made_objects_;    // objects of TorchScript classes made by the code (stable addresses)
  std::map<const PickleValue*, size_t> made_;  // each made object -> its number, from 0
};

// A dict's int key among its string keys: a character no str key of saved
// code starts with, then the digits, so that 1 and "1" stay two keys.
inline std::string int_dict_key(int64_t k) { return '\x01' + std::to_string(k); }
// A key as the source writes it: 'name' or 3.
inline std::string shown_dict_key(const std::string& key) {
  return !key.empty() && key[0] == '\x01' ? key.substr(1) : "'" + key + "'";
}

// Whether an environment name is an attribute slot (see attribute_slot).
inline bool is_attribute_slot(const std::string& name) { return !name.empty() && name[0] == '@'; }
// Whether it is the slot of an object the code made ("@obj1_Pair.a"), not
// of the module tree ("@self.fc.x"): such objects live for one call only.
inline bool is_made_object_slot(const std::string& name) {
  return is_attribute_slot(name) && name.rfind("@self.", 0) != 0;
}
// "self.path.x" for the slot "@self.path.x".
inline std::string slot_display(const std::string& slot) { return slot.substr(1); }

bool is_view_op(const std::string& kind);  // slice, select, view, transpose, ...

// Names a ts expression for messages: "torch.frob", "self.fc1".
std::string dotted_name(const ts::Expr& e);

}  // namespace wick
