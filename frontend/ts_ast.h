// The syntax tree of one TorchScript source file, as written by torch.jit.save.
//
// Plain structs for the IR emitter to walk: every node has a `kind` to switch
// on, `as<T>()` / `get_if<T>()` to reach its fields, and the SourceLocation
// (file, line, column) of its first character; SourceFile::error() turns a
// location into a wick::Error that quotes the line. Type annotations
// (`Optional[Tensor]`, `__torch__.foo.Bar`, `Final[Tuple[int, int]]`) are
// ordinary expressions: names, attributes and subscripts. `elif` becomes an
// `else` block holding one IfStmt. Negative number literals (`-1`, `-1e-05`)
// are folded into IntExpr/FloatExpr; `-inf` stays a UnaryExpr over the name
// `inf`.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "frontend/ts_source.h"
#include "support/error.h"

namespace wick::ts {

// ---------------------------------------------------------------- expressions

enum class ExprKind : uint8_t {
  Name,         // x
  Attribute,    // a.b
  Call,         // f(a, dim=1)
  Subscript,    // x[i, 1:2]
  Slice,        // 1:2:3, only as a subscript index
  Int,          // 3
  Float,        // 1e-05
  Imaginary,    // 2.j
  String,       // "a" 'b' (adjacent literals joined)
  Bool,         // True
  None,         // None
  Ellipsis,     // ...
  Unary,        // -x, +x, ~x, not x
  Binary,       // a + b, ...
  BoolOp,       // a and b, a or b
  Compare,      // a < b <= c
  Conditional,  // a if c else b
  List,         // [a, b]
  Tuple,        // (a, b)  or  a, b
  Dict,         // {k: v}
};

struct Expr {
  const ExprKind kind;
  SourceLocation loc;

  virtual ~Expr() = default;
  Expr(const Expr&) = delete;
  Expr& operator=(const Expr&) = delete;

  template <class T>
  bool is() const {
    return kind == T::kKind;
  }
  template <class T>
  const T& as() const {
    WICK_ASSERT(is<T>(), "wrong expression kind");
    return static_cast<const T&>(*this);
  }
  template <class T>
  const T* get_if() const {
    return is<T>() ? static_cast<const T*>(this) : nullptr;
  }

 protected:
  Expr(ExprKind k, SourceLocation l) : kind(k), loc(std::move(l)) {}
};
using ExprPtr = std::unique_ptr<Expr>;

// Helper base: gives each node its kKind and a constructor from a location.
template <ExprKind K>
struct ExprOf : Expr {
  static constexpr ExprKind kKind = K;
  explicit ExprOf(SourceLocation l) : Expr(K, std::move(l)) {}
};

struct NameExpr : ExprOf<ExprKind::Name> {
  using ExprOf::ExprOf;
  std::string id;
};

struct AttributeExpr : ExprOf<ExprKind::Attribute> {
  using ExprOf::ExprOf;
  ExprPtr value;
  std::string attr;
};

struct Keyword {
  std::string name;
  ExprPtr value;
  SourceLocation loc;
};

struct CallExpr : ExprOf<ExprKind::Call> {
  using ExprOf::ExprOf;
  ExprPtr func;
  std::vector<ExprPtr> args;
  std::vector<Keyword> keywords;  // after all positional args, names distinct
};

// `x[a, 1:2]` has indices {a, Slice(1, 2)}; `x[(a, b)]` has one Tuple index.
struct SubscriptExpr : ExprOf<ExprKind::Subscript> {
  using ExprOf::ExprOf;
  ExprPtr value;
  std::vector<ExprPtr> indices;  // at least one
};

struct SliceExpr : ExprOf<ExprKind::Slice> {
  using ExprOf::ExprOf;
  ExprPtr lower;  // each may be null
  ExprPtr upper;
  ExprPtr step;
};

struct IntExpr : ExprOf<ExprKind::Int> {
  using ExprOf::ExprOf;
  int64_t value = 0;
};

struct FloatExpr : ExprOf<ExprKind::Float> {
  using ExprOf::ExprOf;
  double value = 0;
};

struct ImaginaryExpr : ExprOf<ExprKind::Imaginary> {
  using ExprOf::ExprOf;
  double value = 0;  // the imaginary part
};

struct StringExpr : ExprOf<ExprKind::String> {
  using ExprOf::ExprOf;
  std::string value;  // decoded bytes
};

struct BoolExpr : ExprOf<ExprKind::Bool> {
  using ExprOf::ExprOf;
  bool value = false;
};

struct NoneExpr : ExprOf<ExprKind::None> {
  using ExprOf::ExprOf;
};

struct EllipsisExpr : ExprOf<ExprKind::Ellipsis> {
  using ExprOf::ExprOf;
};

enum class UnaryOp : uint8_t { Neg, Pos, Invert, Not };

struct UnaryExpr : ExprOf<ExprKind::Unary> {
  using ExprOf::ExprOf;
  UnaryOp op = UnaryOp::Neg;
  ExprPtr operand;
};

enum class BinaryOp : uint8_t {
  Add,
  Sub,
  Mul,
  Div,
  FloorDiv,
  Mod,
  Pow,
  MatMul,
  LShift,
  RShift,
  BitAnd,
  BitOr,
  BitXor,
};

struct BinaryExpr : ExprOf<ExprKind::Binary> {
  using ExprOf::ExprOf;
  BinaryOp op = BinaryOp::Add;
  ExprPtr lhs;
  ExprPtr rhs;
};

enum class BoolOp : uint8_t { And, Or };

// `a and b and c` is And(And(a, b), c); evaluation short-circuits.
struct BoolOpExpr : ExprOf<ExprKind::BoolOp> {
  using ExprOf::ExprOf;
  BoolOp op = BoolOp::And;
  ExprPtr lhs;
  ExprPtr rhs;
};

enum class CompareOp : uint8_t { Eq, NotEq, Lt, LtE, Gt, GtE, Is, IsNot, In, NotIn };

// `a < b <= c`: left a, ops {Lt, LtE}, comparators {b, c}; means a<b and b<=c.
struct CompareExpr : ExprOf<ExprKind::Compare> {
  using ExprOf::ExprOf;
  ExprPtr left;
  std::vector<CompareOp> ops;
  std::vector<ExprPtr> comparators;  // same length as ops
};

struct ConditionalExpr : ExprOf<ExprKind::Conditional> {
  using ExprOf::ExprOf;
  ExprPtr cond;
  ExprPtr then_value;
  ExprPtr else_value;
};

struct ListExpr : ExprOf<ExprKind::List> {
  using ExprOf::ExprOf;
  std::vector<ExprPtr> elts;
};

struct TupleExpr : ExprOf<ExprKind::Tuple> {
  using ExprOf::ExprOf;
  std::vector<ExprPtr> elts;
};

struct DictExpr : ExprOf<ExprKind::Dict> {
  using ExprOf::ExprOf;
  std::vector<ExprPtr> keys;
  std::vector<ExprPtr> values;  // same length as keys
};

// ----------------------------------------------------------------- statements

enum class StmtKind : uint8_t {
  Expr,       // f(x)
  Assign,     // x = v;  a, b = v;  x : T = v;  x : T
  AugAssign,  // x += v
  If,
  For,
  While,
  Return,
  Raise,
  Assert,
  Pass,
  Break,
  Continue,
  Del,
  Global,
  With,
  Import,      // import a.b as c
  ImportFrom,  // from a import b as c
  FunctionDef,
  ClassDef,
};

struct Stmt {
  const StmtKind kind;
  SourceLocation loc;

  virtual ~Stmt() = default;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  template <class T>
  bool is() const {
    return kind == T::kKind;
  }
  template <class T>
  const T& as() const {
    WICK_ASSERT(is<T>(), "wrong statement kind");
    return static_cast<const T&>(*this);
  }
  template <class T>
  const T* get_if() const {
    return is<T>() ? static_cast<const T*>(this) : nullptr;
  }

 protected:
  Stmt(StmtKind k, SourceLocation l) : kind(k), loc(std::move(l)) {}
};
using StmtPtr = std::unique_ptr<Stmt>;
using Block = std::vector<StmtPtr>;

template <StmtKind K>
struct StmtOf : Stmt {
  static constexpr StmtKind kKind = K;
  explicit StmtOf(SourceLocation l) : Stmt(K, std::move(l)) {}
};

struct ExprStmt : StmtOf<StmtKind::Expr> {
  using StmtOf::StmtOf;
  ExprPtr expr;
};

// The target is a Name, Attribute or Subscript, or a Tuple/List of targets
// (`a, b, = t` unpacks). An annotation is allowed only on a single target; a
// bare annotation (`weight : Tensor` in a class body) has no value.
struct AssignStmt : StmtOf<StmtKind::Assign> {
  using StmtOf::StmtOf;
  ExprPtr target;
  ExprPtr annotation;  // may be null
  ExprPtr value;       // null only for a bare annotation
};

struct AugAssignStmt : StmtOf<StmtKind::AugAssign> {
  using StmtOf::StmtOf;
  ExprPtr target;  // Name, Attribute or Subscript
  BinaryOp op = BinaryOp::Add;
  ExprPtr value;
};

struct IfStmt : StmtOf<StmtKind::If> {
  using StmtOf::StmtOf;
  ExprPtr cond;
  Block then_body;  // never empty
  Block else_body;  // empty when there is no else; `elif` is one IfStmt here
};

struct ForStmt : StmtOf<StmtKind::For> {
  using StmtOf::StmtOf;
  ExprPtr target;  // as in AssignStmt
  ExprPtr iter;
  Block body;
};

struct WhileStmt : StmtOf<StmtKind::While> {
  using StmtOf::StmtOf;
  ExprPtr cond;
  Block body;
};

struct ReturnStmt : StmtOf<StmtKind::Return> {
  using StmtOf::StmtOf;
  ExprPtr value;  // null for a bare `return`
};

struct RaiseStmt : StmtOf<StmtKind::Raise> {
  using StmtOf::StmtOf;
  ExprPtr exc;  // null for a bare `raise`
};

struct AssertStmt : StmtOf<StmtKind::Assert> {
  using StmtOf::StmtOf;
  ExprPtr test;
  ExprPtr msg;  // may be null
};

struct PassStmt : StmtOf<StmtKind::Pass> {
  using StmtOf::StmtOf;
};

struct BreakStmt : StmtOf<StmtKind::Break> {
  using StmtOf::StmtOf;
};

struct ContinueStmt : StmtOf<StmtKind::Continue> {
  using StmtOf::StmtOf;
};

struct DelStmt : StmtOf<StmtKind::Del> {
  using StmtOf::StmtOf;
  std::vector<ExprPtr> targets;
};

struct GlobalStmt : StmtOf<StmtKind::Global> {
  using StmtOf::StmtOf;
  std::vector<std::string> names;
};

struct WithItem {
  ExprPtr context;
  ExprPtr target;  // `as` target; may be null
};

struct WithStmt : StmtOf<StmtKind::With> {
  using StmtOf::StmtOf;
  std::vector<WithItem> items;
  Block body;
};

struct ImportName {
  std::string name;   // dotted: "__torch__.torch.nn.modules.linear"
  std::string alias;  // empty when there is no `as`
  SourceLocation loc;
};

struct ImportStmt : StmtOf<StmtKind::Import> {
  using StmtOf::StmtOf;
  std::vector<ImportName> names;
};

struct ImportFromStmt : StmtOf<StmtKind::ImportFrom> {
  using StmtOf::StmtOf;
  std::string module;  // dotted
  std::vector<ImportName> names;
};

struct Param {
  std::string name;
  ExprPtr annotation;     // may be null (e.g. `self` in an interface)
  ExprPtr default_value;  // may be null
  SourceLocation loc;
};

struct FunctionDef : StmtOf<StmtKind::FunctionDef> {
  using StmtOf::StmtOf;
  std::string name;
  std::vector<Param> params;
  ExprPtr return_annotation;  // may be null
  Block body;
};

// A class body holds attribute annotations (`weight : Tensor`), constants
// (`in_features : Final[int] = 4`), assignments (`__parameters__ = [...]`,
// `__annotations__["0"] = T`, enum members) and FunctionDefs.
struct ClassDef : StmtOf<StmtKind::ClassDef> {
  using StmtOf::StmtOf;
  std::string name;
  std::vector<ExprPtr> bases;  // Module, NamedTuple, Enum, ModuleInterface, ...
  Block body;
};

// --------------------------------------------------------------------- files

struct SourceFile {
  SourceText source;
  Block body;  // imports, classes, functions and any other top-level statements

  const std::string& file_name() const { return source.file_name(); }
  std::vector<const ClassDef*> classes() const;
  std::vector<const FunctionDef*> functions() const;  // top-level only

  // A user error at `where` that quotes the source line.
  Error error(const SourceLocation& where, std::string message, std::string op = {}) const {
    return source.error(where, std::move(message), std::move(op));
  }
};

// Spellings for messages and printing: "+", "not in", "and", "-" ...
const char* op_spelling(UnaryOp op);
const char* op_spelling(BinaryOp op);
const char* op_spelling(BoolOp op);
const char* op_spelling(CompareOp op);
const char* expr_kind_name(ExprKind kind);  // "call", "attribute", ...
const char* stmt_kind_name(StmtKind kind);  // "if statement", ...

}  // namespace wick::ts
