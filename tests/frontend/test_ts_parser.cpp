#include <gtest/gtest.h>
#include <pthread.h>

#include <functional>
#include <random>
#include <string>

#include "frontend/ts_ast_print.h"
#include "frontend/ts_parser.h"

namespace wick::ts {
namespace {

SourceFile parse(const std::string& text) { return parse_torchscript(text, "test.py"); }

std::string dump_of(const std::string& text) { return dump(parse(text)); }

// The dump of a single expression statement.
std::string expr(const std::string& text) {
  SourceFile f = parse(text + "\n");
  EXPECT_EQ(f.body.size(), 1u);
  if (f.body.size() != 1 || !f.body[0]->is<ExprStmt>()) return "<not one expression statement>";
  return dump(*f.body[0]->as<ExprStmt>().expr);
}

// Parsing `text` fails with `message` at line:column; the error names the
// file and quotes the line.
void expect_error(const std::string& text, const std::string& message, int line, int column) {
  try {
    parse(text);
    ADD_FAILURE() << "no error for: " << text;
  } catch (const Error& e) {
    EXPECT_NE(e.message().find(message), std::string::npos) << e.what();
    EXPECT_EQ(e.where().line, line) << e.what();
    EXPECT_EQ(e.where().column, column) << e.what();
    std::string where = "test.py:" + std::to_string(line) + ":" + std::to_string(column) + ": ";
    EXPECT_EQ(std::string(e.what()).rfind(where, 0), 0u) << e.what();
    SourceText src("test.py", text);
    EXPECT_EQ(e.source_line(), src.line(line)) << e.what();
  }
}

// to_source() writes text that parses back to the same tree.
void expect_round_trip(const std::string& text) {
  SourceFile a = parse(text);
  std::string source = to_source(a);
  SourceFile b = parse_torchscript(source, "again.py");
  EXPECT_EQ(dump(a), dump(b)) << "source:\n" << text << "\nprinted:\n" << source;
}

// The Linear module as torch.jit.save writes it.
constexpr const char* kLinear = R"(class Linear(Module):
  __parameters__ = ["weight", "bias", ]
  __buffers__ = []
  weight : Tensor
  bias : Tensor
  training : bool
  _is_full_backward_hook : Optional[bool]
  in_features : Final[int] = 3
  out_features : Final[int] = 2
  def forward(self: __torch__.torch.nn.modules.linear.Linear,
    input: Tensor) -> Tensor:
    weight = self.weight
    bias = self.bias
    return torch.linear(input, weight, bias)
)";

TEST(TsParser, SavedLinearModule) {
  EXPECT_EQ(dump_of(kLinear),
            "class Linear(Module)\n"
            "  assign __parameters__ = (list \"weight\" \"bias\")\n"
            "  assign __buffers__ = (list)\n"
            "  assign weight : Tensor\n"
            "  assign bias : Tensor\n"
            "  assign training : bool\n"
            "  assign _is_full_backward_hook : (sub Optional bool)\n"
            "  assign in_features : (sub Final int) = 3\n"
            "  assign out_features : (sub Final int) = 2\n"
            "  def forward(self: (. (. (. (. (. __torch__ torch) nn) modules) linear) Linear), "
            "input: Tensor) -> Tensor\n"
            "    assign weight = (. self weight)\n"
            "    assign bias = (. self bias)\n"
            "    return (call (. torch linear) input weight bias)\n");
}

TEST(TsParser, ClassesAndFunctionsAreListed) {
  SourceFile f = parse(
      std::string(kLinear) +
      "def relu(input: Tensor,\n    inplace: bool=False) -> Tensor:\n  return torch.relu(input)\n");
  ASSERT_EQ(f.classes().size(), 1u);
  EXPECT_EQ(f.classes()[0]->name, "Linear");
  ASSERT_EQ(f.functions().size(), 1u);
  const FunctionDef& relu = *f.functions()[0];
  EXPECT_EQ(relu.name, "relu");
  ASSERT_EQ(relu.params.size(), 2u);
  EXPECT_EQ(relu.params[1].name, "inplace");
  EXPECT_EQ(dump(*relu.params[1].annotation), "bool");
  EXPECT_EQ(dump(*relu.params[1].default_value), "False");
  EXPECT_EQ(f.file_name(), "test.py");
}

TEST(TsParser, OperatorPrecedence) {
  EXPECT_EQ(expr("a + b * c ** -d"), "(+ a (* b (** c (- d))))");
  EXPECT_EQ(expr("a - b - c"), "(- (- a b) c)");
  EXPECT_EQ(expr("a ** b ** c"), "(** a (** b c))");
  EXPECT_EQ(expr("-a ** 2"), "(- (** a 2))");
  EXPECT_EQ(expr("a | b ^ c & d << e + f // g % h @ i"),
            "(| a (^ b (& c (<< d (+ e (@ (% (// f g) h) i))))))");
  EXPECT_EQ(expr("not a and b or c"), "(or (and (not a) b) c)");
  EXPECT_EQ(expr("a or b and not c == d"), "(or a (and b (not (== c d))))");
  EXPECT_EQ(expr("x if a or b else y if c else z"), "(if (or a b) x (if c y z))");
  EXPECT_EQ(expr("~a + +b"), "(+ (~ a) (+ b))");
  EXPECT_EQ(expr("(a + b) * c"), "(* (+ a b) c)");
}

TEST(TsParser, Comparisons) {
  EXPECT_EQ(expr("a < b"), "(< a b)");
  EXPECT_EQ(expr("a < b <= c != d"), "(cmp a < b <= c != d)");
  EXPECT_EQ(expr("a is not None"), "(is-not a None)");
  EXPECT_EQ(expr("a is None"), "(is a None)");
  EXPECT_EQ(expr("a not in b"), "(not-in a b)");
  EXPECT_EQ(expr("a in b == c"), "(cmp a in b == c)");
  EXPECT_EQ(expr("a + 1 > b"), "(> (+ a 1) b)");
}

TEST(TsParser, NegativeLiteralsAreFolded) {
  EXPECT_EQ(expr("-1"), "-1");
  EXPECT_EQ(expr("-1.5e-05"), "-1.5e-05");
  EXPECT_EQ(expr("-9223372036854775808"), "-9223372036854775808");
  EXPECT_EQ(expr("- 2"), "-2");
  EXPECT_EQ(expr("-(2)"), "(- 2)");
  EXPECT_EQ(expr("-2 ** 2"), "(- (** 2 2))");
  EXPECT_EQ(expr("-inf"), "(- inf)");
  EXPECT_EQ(expr("--1"), "(- -1)");
  EXPECT_EQ(expr("a-1"), "(- a 1)");
  SourceFile f = parse("-9223372036854775808\n");
  EXPECT_EQ(f.body[0]->as<ExprStmt>().expr->as<IntExpr>().value, INT64_MIN);
}

TEST(TsParser, Literals) {
  EXPECT_EQ(expr("[1, 2., 'a', True, False, None, ...]"), "(list 1 2.0 \"a\" True False None ...)");
  EXPECT_EQ(expr("(a,)"), "(tuple a)");
  EXPECT_EQ(expr("()"), "(tuple)");
  EXPECT_EQ(expr("(a, b, )"), "(tuple a b)");
  EXPECT_EQ(expr("a, b"), "(tuple a b)");
  EXPECT_EQ(expr("{\"x\": x, 'y': [y], }"), "(dict (\"x\" x) (\"y\" (list y)))");
  EXPECT_EQ(expr("{}"), "(dict)");
  EXPECT_EQ(expr("[]"), "(list)");
  EXPECT_EQ(expr("'it' \"'s\""), "\"it's\"");
  EXPECT_EQ(expr("1.+2.j"), "(+ 1.0 2.0j)");
  EXPECT_EQ(expr("\"a\\001b\\\\\\n\\'\\\"\""), "\"a\\001b\\\\\\n'\\\"\"");
  EXPECT_EQ(expr("0.10000000000000001"), "0.1");
  EXPECT_EQ(expr("1.0000000000000001e-05"), "1e-05");
}

TEST(TsParser, CallsAttributesAndSubscripts) {
  EXPECT_EQ(expr("torch.softmax(x, dim=-1, )"), "(call (. torch softmax) x dim=-1)");
  EXPECT_EQ(expr("(self)._forward_impl(x, )"), "(call (. self _forward_impl) x)");
  EXPECT_EQ(expr("ops.prim.RaiseException(\"m\", \"builtins.ValueError\")"),
            "(call (. (. ops prim) RaiseException) \"m\" \"builtins.ValueError\")");
  EXPECT_EQ(expr("f()()[0].a"), "(. (sub (call (call f)) 0) a)");
  EXPECT_EQ(expr("torch.zeros([2, n], dtype=_2, layout=None, device=_3)"),
            "(call (. torch zeros) (list 2 n) dtype=_2 layout=None device=_3)");
  EXPECT_EQ(expr("annotate(List[int], [])"), "(call annotate (sub List int) (list))");
  EXPECT_EQ(expr("x[:, 0]"), "(sub x (slice _ _ _) 0)");
  EXPECT_EQ(expr("x[1:]"), "(sub x (slice 1 _ _))");
  EXPECT_EQ(expr("x[..., -1]"), "(sub x ... -1)");
  EXPECT_EQ(expr("x[None, 1:3, ::2]"), "(sub x None (slice 1 3 _) (slice _ _ 2))");
  EXPECT_EQ(expr("x[a:b:c, ]"), "(sub x (slice a b c))");
  EXPECT_EQ(expr("(t)[0]"), "(sub t 0)");
  EXPECT_EQ(expr("x[(a, b)]"), "(sub x (tuple a b))");
  EXPECT_EQ(expr("Dict[str, Tuple[Tensor, Optional[Tensor]]]"),
            "(sub Dict str (sub Tuple Tensor (sub Optional Tensor)))");
  EXPECT_EQ(expr("CONSTANTS.c0"), "(. CONSTANTS c0)");
  EXPECT_EQ(expr("(col).value"), "(. col value)");
}

TEST(TsParser, Assignments) {
  EXPECT_EQ(dump_of("x = 1\n"), "assign x = 1\n");
  EXPECT_EQ(dump_of("_13, _14, = hx0\n"), "assign (tuple _13 _14) = hx0\n");
  EXPECT_EQ(dump_of("a, = t\n"), "assign (tuple a) = t\n");
  EXPECT_EQ(dump_of("_1, x3, i0 = _3, x4, i1\n"), "assign (tuple _1 x3 i0) = (tuple _3 x4 i1)\n");
  EXPECT_EQ(dump_of("(a, [b, c]) = t\n"), "assign (tuple a (list b c)) = t\n");
  EXPECT_EQ(dump_of("m0 : Optional[Tensor] = m1\n"), "assign m0 : (sub Optional Tensor) = m1\n");
  EXPECT_EQ(dump_of("self.x = x\n"), "assign (. self x) = x\n");
  EXPECT_EQ(dump_of("__annotations__[\"0\"] = __torch__.ReLU\n"),
            "assign (sub __annotations__ \"0\") = (. __torch__ ReLU)\n");
  EXPECT_EQ(dump_of("x += 1\ny //= 2\nz[0] **= 3\n"),
            "augassign x += 1\naugassign y //= 2\naugassign (sub z 0) **= 3\n");
  EXPECT_EQ(dump_of("a = 1; b = 2;\n"), "assign a = 1\nassign b = 2\n");
}

TEST(TsParser, IfElifElse) {
  EXPECT_EQ(dump_of("if a:\n  x = 1\nelif b:\n  x = 2\nelif c:\n  pass\nelse:\n  x = 3\n"),
            "if a\n"
            "  assign x = 1\n"
            "else\n"
            "  if b\n"
            "    assign x = 2\n"
            "  else\n"
            "    if c\n"
            "      pass\n"
            "    else\n"
            "      assign x = 3\n");
  EXPECT_EQ(dump_of("if a: return b\n"), "if a\n  return b\n");
}

TEST(TsParser, LoopsAndOtherStatements) {
  EXPECT_EQ(dump_of("for i in range(n):\n  x = torch.add(x, i)\n"),
            "for i in (call range n)\n  assign x = (call (. torch add) x i)\n");
  EXPECT_EQ(dump_of("for k, v in items:\n  break\n"), "for (tuple k v) in items\n  break\n");
  EXPECT_EQ(dump_of("while _1:\n  continue\n"), "while _1\n  continue\n");
  EXPECT_EQ(dump_of("return (c0, [1, n])\n"), "return (tuple c0 (list 1 n))\n");
  EXPECT_EQ(dump_of("return a, b\n"), "return (tuple a b)\n");
  EXPECT_EQ(dump_of("return\n"), "return\n");
  EXPECT_EQ(dump_of("raise ops.prim.RaiseException(\"x\")\n"),
            "raise (call (. (. ops prim) RaiseException) \"x\")\n");
  EXPECT_EQ(dump_of("raise\n"), "raise\n");
  EXPECT_EQ(dump_of("assert n >= 0, \"negative\"\nassert ok\n"),
            "assert (>= n 0), \"negative\"\nassert ok\n");
  EXPECT_EQ(dump_of("del l[0], d\n"), "del (sub l 0) d\n");
  EXPECT_EQ(dump_of("global a, b\n"), "global a b\n");
  EXPECT_EQ(dump_of("with _1:\n  pass\nwith a as b, c:\n  pass\n"),
            "with _1\n  pass\nwith a as b, c\n  pass\n");
}

TEST(TsParser, FunctionDefinitions) {
  EXPECT_EQ(dump_of("def forward(self: __torch__.M,\n    x: Tensor,\n    n: int=3,\n"
                    "    padding: List[int]=[0, 0],\n    hx: Optional[Tuple[Tensor, Tensor]]=None) "
                    "-> Tuple[Tensor, List[int]]:\n  return x\n"),
            "def forward(self: (. __torch__ M), x: Tensor, n: int = 3, padding: (sub List int) = "
            "(list 0 0), hx: (sub Optional (sub Tuple Tensor Tensor)) = None) -> "
            "(sub Tuple Tensor (sub List int))\n"
            "  return x\n");
  // An interface method: no annotation on self, body `pass`.
  EXPECT_EQ(
      dump_of("class I(ModuleInterface):\n  def forward(self, x: Tensor) -> Tensor:\n    pass\n"),
      "class I(ModuleInterface)\n  def forward(self, x: Tensor) -> Tensor\n    pass\n");
  // A closure, as printed for torch.jit.fork.
  EXPECT_EQ(
      dump_of(
          "def f(x: Tensor) -> Tensor:\n  def __forked_function():\n"
          "    return torch.neg(x)\n  fut = fork(__forked_function)\n  return torch.wait(fut)\n"),
      "def f(x: Tensor) -> Tensor\n"
      "  def __forked_function()\n"
      "    return (call (. torch neg) x)\n"
      "  assign fut = (call fork __forked_function)\n"
      "  return (call (. torch wait) fut)\n");
}

TEST(TsParser, ClassBodies) {
  EXPECT_EQ(dump_of("class Color(Enum):\n  RED = 1\n  GREEN = \"g\"\n"),
            "class Color(Enum)\n  assign RED = 1\n  assign GREEN = \"g\"\n");
  EXPECT_EQ(dump_of("class P(NamedTuple):\n  a : Tensor\n  b : Optional[int]\n"),
            "class P(NamedTuple)\n  assign a : Tensor\n  assign b : (sub Optional int)\n");
  EXPECT_EQ(dump_of("class Plain:\n  x : int\n"), "class Plain\n  assign x : int\n");
  EXPECT_EQ(
      dump_of("class Conv(Module):\n  stride : Final[Tuple[int, int]] = (2, 2)\n"),
      "class Conv(Module)\n  assign stride : (sub Final (sub Tuple int int)) = (tuple 2 2)\n");
}

TEST(TsParser, ImportsAndTopLevelStatements) {
  EXPECT_EQ(dump_of("op_version_set = 1\nimport __torch__.torch.nn.modules.linear\n"
                    "import a.b as c, d\nfrom typing import List, Tuple as T\n"
                    "from torch import (x,\n  y,)\n"),
            "assign op_version_set = 1\n"
            "import __torch__.torch.nn.modules.linear\n"
            "import a.b as c, d\n"
            "from typing import List, Tuple as T\n"
            "from torch import x, y\n");
}

TEST(TsParser, NodesCarryLocations) {
  SourceFile f = parse("def f(self,\n    x: Tensor):\n  if x:\n    return torch.add(x, -1)\n");
  const FunctionDef& fn = *f.functions()[0];
  EXPECT_EQ(fn.loc.str(), "test.py:1:1");
  EXPECT_EQ(fn.params[1].loc.str(), "test.py:2:5");
  EXPECT_EQ(fn.params[1].annotation->loc.str(), "test.py:2:8");
  const IfStmt& s = fn.body[0]->as<IfStmt>();
  EXPECT_EQ(s.loc.str(), "test.py:3:3");
  EXPECT_EQ(s.cond->loc.str(), "test.py:3:6");
  const ReturnStmt& r = s.then_body[0]->as<ReturnStmt>();
  EXPECT_EQ(r.loc.str(), "test.py:4:5");
  const CallExpr& call = r.value->as<CallExpr>();
  EXPECT_EQ(call.loc.str(), "test.py:4:12");
  EXPECT_EQ(call.args[0]->loc.str(), "test.py:4:22");
  EXPECT_EQ(call.args[1]->loc.str(), "test.py:4:25");  // the folded literal starts at '-'
  EXPECT_EQ(call.func->as<AttributeExpr>().attr, "add");

  // Any later stage can raise an error that quotes the line.
  Error e = f.error(call.loc, "unsupported op", "aten::add");
  EXPECT_EQ(std::string(e.what()),
            "test.py:4:12: error: in aten::add: unsupported op\n        return torch.add(x, -1)");
}

TEST(TsParser, ToSourceRoundTrips) {
  expect_round_trip(kLinear);
  expect_round_trip("x = (-2) ** 2\ny = -(5)\nz = -2 ** 2\nw = (1).real\nv = 1.5.real\n");
  expect_round_trip("a = (b if c else d) if (e if f else g) else (h if i else j)\n");
  expect_round_trip("a = not (b < c) < d\nb = (a < b) == (c in d)\nc = -(-1)\nd = - -1\n");
  expect_round_trip("a = (x - y) - (z - w)\nb = x ** (y ** z)\nc = (x ** y) ** z\nd = (-x) ** y\n");
  expect_round_trip(
      "a = [(1,), (), {1: (2, 3)}, x[1:2, ::3, ...], 'q\\x01\\u00e9\"', 1e400, -1e400]\n");
  expect_round_trip("a = (not x) + 1\nb = (a and b) or (c and d)\nc = a and (b or c)\n");
  expect_round_trip("if a:\n  pass\nelif b:\n  x = 1\nelse:\n  if c:\n    y = 2\n");
  expect_round_trip(
      "def f(a, b: int=3) -> None:\n  for (i, j) in x:\n    del a[i], b\n"
      "  with q as r:\n    global g\n  while a:\n    a -= 1\n  assert a, 'm'\n"
      "  raise\n  return\n");
  expect_round_trip("import a.b as c\nfrom d import e as f, g\nclass C(A, B):\n  x : int = 1\n");
}

TEST(TsParserErrors, UnexpectedTokens) {
  expect_error("x = = 1\n", "expected an expression but found '='", 1, 5);
  expect_error("x = 1 2\n", "expected newline but found number '2'", 1, 7);
  expect_error("f(a b)\n", "expected ')' but found name 'b'", 1, 5);
  expect_error("if x\n  pass\n", "expected ':' but found newline", 1, 5);
  expect_error("x = (1 +)\n", "expected an expression but found ')'", 1, 9);
  expect_error("x = a.1\n", "expected newline but found number '.1'", 1, 6);
  expect_error("x = a.if\n", "expected name but found 'if'", 1, 7);
  expect_error("x = a[]\n", "expected an index but found ']'", 1, 7);
  expect_error("def f(x, 1):\n  pass\n", "expected name but found number '1'", 1, 10);
  expect_error("x = y if z\n", "expected 'else' but found newline", 1, 11);
  expect_error("x = 1 +\n", "expected an expression but found newline", 1, 8);
}

TEST(TsParserErrors, Indentation) {
  expect_error("x = 1\n  y = 2\n", "unexpected indent", 2, 3);
  expect_error("if x:\npass\n", "expected an indented block after 'if' but found 'pass'", 2, 1);
  expect_error("def f():\n",
               "expected an indented block after function definition but found end of file", 2, 1);
  expect_error("else:\n  pass\n", "'else' without a matching 'if'", 1, 1);
}

TEST(TsParserErrors, BadTargetsAndArguments) {
  expect_error("f() = 1\n", "cannot assign to a call", 1, 1);
  expect_error("a, 1 = t\n", "cannot assign to an integer literal", 1, 4);
  expect_error("() = t\n", "cannot assign to an empty tuple", 1, 1);
  expect_error("f(x) : int = 1\n", "only a name, attribute or subscript can be annotated", 1, 1);
  expect_error("f() += 1\n", "cannot use '+=' on a call", 1, 5);
  expect_error("del f()\n", "cannot delete a call", 1, 5);
  expect_error("for f() in x:\n  pass\n", "cannot assign to a call", 1, 5);
  expect_error("a = b = c\n", "chained assignment", 1, 7);
  expect_error("f(dim=1, x)\n", "positional argument follows keyword argument", 1, 10);
  expect_error("f(dim=1, dim=2)\n", "keyword argument 'dim' repeated", 1, 10);
  expect_error("f(*args)\n", "argument unpacking", 1, 3);
  expect_error("def f(a=1, b):\n  pass\n", "parameter 'b' without a default follows", 1, 12);
  expect_error("def f(a, a):\n  pass\n", "duplicate parameter 'a'", 1, 10);
  expect_error("def f(*a):\n  pass\n", "variadic", 1, 7);
  expect_error("x = 9223372036854775808\n",
               "integer literal '9223372036854775808' does not fit in 64 bits", 1, 5);
}

TEST(TsParserErrors, UnsupportedConstructs) {
  expect_error("x = [i for i in y]\n", "list comprehensions are not supported", 1, 8);
  expect_error("x = {k: v for k in y}\n", "dict comprehensions are not supported", 1, 11);
  expect_error("x = {a, b}\n", "set literals are not supported", 1, 7);
  expect_error("x = f(i for i in y)\n", "generator expressions are not supported", 1, 9);
  expect_error("x = lambda: 1\n", "'lambda' is not supported", 1, 5);
  expect_error("try:\n  pass\n", "'try' is not supported", 1, 1);
  expect_error("@torch.jit.export\ndef f():\n  pass\n", "decorators are not supported", 1, 1);
  expect_error("for x in y:\n  pass\nelse:\n  pass\n", "'else' after a loop is not supported", 3,
               1);
  expect_error("from . import x\n", "relative imports are not supported", 1, 6);
  expect_error("from a import *\n", "'import *' is not supported", 1, 15);
  expect_error("class A(metaclass=M):\n  pass\n", "keyword arguments in a class definition", 1, 9);
  expect_error("raise a from b\n", "'raise ... from ...' is not supported", 1, 9);
}

TEST(TsParserErrors, LexerErrorsPassThrough) {
  expect_error("x = f(a,\n  b\n", "'(' was never closed", 1, 6);
  expect_error("x = 'abc\n", "unterminated string literal", 1, 5);
  expect_error("if a:\n    b\n  c\n", "unindent does not match any outer indentation level", 3, 3);
}

// Runs `fn` on a thread with a 1 MiB stack, so that a parser recursing deeper
// than its limit allows would crash here instead of passing on a big stack.
void run_on_small_stack(const std::function<void()>& fn) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, size_t{1} << 20);
  pthread_t thread;
  auto body = [](void* arg) -> void* {
    (*static_cast<const std::function<void()>*>(arg))();
    return nullptr;
  };
  int rc = pthread_create(&thread, &attr, body, const_cast<std::function<void()>*>(&fn));
  pthread_attr_destroy(&attr);
  ASSERT_EQ(rc, 0);
  pthread_join(thread, nullptr);
}

// Deep nesting is a clean error, never a stack overflow, whatever builds it.
void check_deep_nesting() {
  const int n = 100000;
  auto expect_too_deep = [](const std::string& text) {
    try {
      parse(text);
      ADD_FAILURE() << "no error for nesting: " << text.substr(0, 40);
    } catch (const Error& e) {
      EXPECT_NE(e.message().find("nested too deeply"), std::string::npos) << e.message();
      EXPECT_EQ(e.where().line, 1);
      EXPECT_GT(e.where().column, 0);
    }
  };
  expect_too_deep("x = " + std::string(n, '(') + "1" + std::string(n, ')') + "\n");
  expect_too_deep("x = " + std::string(n, '[') + std::string(n, ']') + "\n");
  expect_too_deep("x = " + std::string(n, '-') + "y\n");
  expect_too_deep("x = ~" + std::string(n, '~') + "y\n");
  std::string nots;
  for (int i = 0; i < n; ++i) nots += "not ";
  expect_too_deep("x = " + nots + "y\n");
  std::string sum = "x = 1";
  for (int i = 0; i < n; ++i) sum += " + 1";
  expect_too_deep(sum + "\n");
  std::string chain = "x = a";
  for (int i = 0; i < n; ++i) chain += ".b";
  expect_too_deep(chain + "\n");
  std::string calls = "x = f";
  for (int i = 0; i < n; ++i) calls += "()";
  expect_too_deep(calls + "\n");
  std::string powers = "x = 2";
  for (int i = 0; i < n; ++i) powers += " ** 2";
  expect_too_deep(powers + "\n");
  std::string ifs = "x = 1";
  for (int i = 0; i < n; ++i) ifs += " if a else 1";
  expect_too_deep(ifs + "\n");

  std::string blocks;
  for (int i = 0; i < 1000; ++i) blocks += std::string(i, ' ') + "if a:\n";
  blocks += std::string(1000, ' ') + "pass\n";
  try {
    parse(blocks);
    ADD_FAILURE() << "no error for deeply nested blocks";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("nested too deeply"), std::string::npos) << e.message();
  }

  std::string elifs = "if a:\n  pass\n";
  for (int i = 0; i < 1000; ++i) elifs += "elif a:\n  pass\n";
  try {
    parse(elifs);
    ADD_FAILURE() << "no error for a long elif chain";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("nested too deeply"), std::string::npos) << e.message();
  }
}

TEST(TsParserErrors, DeepNestingIsAnError) { run_on_small_stack(check_deep_nesting); }

TEST(TsParser, ModerateNestingIsFine) {
  std::string parens = "x = " + std::string(90, '(') + "1" + std::string(90, ')') + "\n";
  EXPECT_EQ(dump_of(parens), "assign x = 1\n");
  std::string lists = "x = " + std::string(40, '[') + std::string(40, ']') + "\n";
  EXPECT_NO_THROW(expect_round_trip(lists));
  std::string blocks;
  for (int i = 0; i < 40; ++i) blocks += std::string(i, ' ') + "if a:\n";
  blocks += std::string(40, ' ') + "pass\n";
  EXPECT_NO_THROW(parse(blocks));
  std::string elifs = "if a:\n  pass\n";
  for (int i = 0; i < 60; ++i) elifs += "elif a:\n  pass\n";
  expect_round_trip(elifs);
  std::string args = "x = f(";
  for (int i = 0; i < 10000; ++i) args += "a, ";
  EXPECT_NO_THROW(parse(args + ")\n"));  // wide is fine; only depth is limited
}

// Parsing either succeeds or raises wick::Error: never a crash, a hang or an
// internal error.
void expect_parses_or_errors(const std::string& text) {
  try {
    parse(text);
  } catch (const Error&) {
  } catch (const std::exception& e) {
    ADD_FAILURE() << "unexpected exception " << e.what() << " for input:\n" << text;
  }
}

TEST(TsParserRobustness, EveryTruncationOfRealSource) {
  std::string text =
      std::string(kLinear) +
      "def f(x: Tensor, n: int=3) -> Tuple[Tensor, List[int]]:\n"
      "  _0 = \"a\\001b\\\\\\n\\'\\\"\"\n"
      "  if torch.__isnot__(opt, None):\n"
      "    o = unchecked_cast(Tensor, opt)\n"
      "  else:\n"
      "    ops.prim.RaiseException(\"AssertionError: \", \"builtins.ValueError\")\n"
      "  for i in range(torch.sub(torch.len(size), 2)):\n"
      "    x = torch.slice(x[:, 0], 1, -9223372036854775808, 1.0000000000000001e-05)\n"
      "  _1, _2, = (x, [1, 2.j])\n"
      "  return (x, {\"k\": annotate(List[int], [])})\n";
  for (size_t n = 0; n <= text.size(); ++n) expect_parses_or_errors(text.substr(0, n));
  EXPECT_NO_THROW(parse(text));
}

TEST(TsParserRobustness, RandomBytesAndMutations) {
  std::mt19937 rng(1234);
  const std::string alphabet = "abcx_01.e+-*/%@<>=!&|^~()[]{},:;'\"\\#\n\n\n  \t\rrujf";
  for (int i = 0; i < 3000; ++i) {
    std::string text(rng() % 200, ' ');
    bool any_byte = i % 3 == 0;
    for (char& c : text) {
      c = any_byte ? static_cast<char>(rng() % 256) : alphabet[rng() % alphabet.size()];
    }
    expect_parses_or_errors(text);
  }
  std::string base = kLinear;
  for (int i = 0; i < 3000; ++i) {
    std::string text = base;
    for (int k = 0; k < 3; ++k) {
      size_t at = rng() % text.size();
      switch (rng() % 3) {
        case 0: text[at] = static_cast<char>(rng() % 256); break;
        case 1: text.erase(at, 1); break;
        default: text.insert(at, 1, alphabet[rng() % alphabet.size()]);
      }
    }
    expect_parses_or_errors(text);
  }
}

}  // namespace
}  // namespace wick::ts
