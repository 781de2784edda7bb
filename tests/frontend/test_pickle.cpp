// Tests of the pickle reader: values Python's pickle writes (protocols 2 and
// 4) compared through their repr, tensors rebuilt the way torch writes them,
// the allow-listed torch globals, and malicious or broken pickles, each of
// which must give a wick::Error naming the problem and where it is.
#include <gtest/gtest.h>

#include <cstring>

#include "frontend/pickle.h"
#include "pickle_writer.h"
#include "python_helpers.h"
#include "support/error.h"

namespace wick {
namespace {

using K = PickleValue::Kind;
using test::PickleWriter;

template <typename Fn>
void expect_error(Fn fn, std::initializer_list<std::string> parts) {
  try {
    fn();
    ADD_FAILURE() << "expected a wick::Error";
  } catch (const Error& e) {
    for (const std::string& p : parts)
      EXPECT_NE(std::string(e.what()).find(p), std::string::npos)
          << "message: " << e.what() << "\nmissing: " << p;
  }
}

// A loader that serves storages filled with 0, 1, 2, ... of the requested
// type, and counts its calls.
struct CountingLoader {
  int calls = 0;
  int64_t shortfall_bytes = 0;  // serve this many bytes fewer than declared
  StorageLoader fn() {
    return [this](const std::string& key, DType dtype, int64_t numel) {
      ++calls;
      const size_t bytes = static_cast<size_t>(numel) * dtype_size(dtype) - shortfall_bytes;
      auto s = Storage::allocate_cpu(bytes);
      if (dtype == DType::f32)
        for (int64_t i = 0; i < static_cast<int64_t>(bytes / 4); ++i)
          static_cast<float*>(s->data())[i] = static_cast<float>(i);
      return s;
    };
  }
};

PickleValue load(const std::string& bytes, const StorageLoader& loader = {}) {
  return unpickle(bytes, loader, "test.pkl");
}

// Values from Python's own pickle ---------------------------------------------

TEST(Pickle, MatchesPythonReprForPlainValues) {
  if (!test::python_has("pickle")) GTEST_SKIP() << "python3 is not available";
  test::TempDir dir("pickle_python");
  ASSERT_EQ(test::run_python(dir, R"(
import pickle
shared = [1, 2]
values = [
    None, True, False, 0, 1, 255, 256, 65535, 65536, -1, -129, 2**31 - 1, -2**31,
    2**31, 2**40, 2**63 - 1, -2**63, 0.5, -1.25, 1e300, 3.0, 0.1, -0.0, 1e-7,
    float("inf"), "", "hello", "x" * 300, "caf\u00e9", b"raw", b"",
    (), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4), [], [1, [2, [3, []]]],
    {}, {"a": 1, "b": [1.5, "s"], "c": {"d": None}}, {1: "one", 2: "two"},
    [shared, shared, (shared,)], {"k": (True, None)},
]
with open("cases.txt", "w") as out:
    for proto in (2, 4):
        for i, v in enumerate(values):
            if proto == 2 and isinstance(v, bytes):
                continue  # protocol 2 spells bytes as a call to _codecs.encode
            name = "p%d_%d.pkl" % (proto, i)
            open(name, "wb").write(pickle.dumps(v, protocol=proto))
            out.write(name + "\t" + repr(v) + "\n")
)"),
            0)
      << test::slurp(dir / "log.txt");
  std::istringstream cases(test::slurp(dir / "cases.txt"));
  std::string line;
  int n = 0;
  while (std::getline(cases, line)) {
    const size_t tab = line.find('\t');
    const std::string name = line.substr(0, tab), expected = line.substr(tab + 1);
    SCOPED_TRACE(name);
    PickleValue v = load(test::slurp(dir / name));
    EXPECT_EQ(v.repr(100000), expected);
    ++n;
  }
  EXPECT_EQ(n, 43 + 41);  // both protocols; protocol 2 leaves out the bytes values
}

TEST(Pickle, SharedValuesStayShared) {
  // [l, l] where l = [1]: BINPUT after EMPTY_LIST, then BINGET.
  PickleWriter w;
  w.op(']').op('q').op(uint8_t{0}).op(']').op('q').op(uint8_t{1}).integer(1).op('a');
  w.op('h').op(uint8_t{1}).op(static_cast<uint8_t>(0x86)).op('a');
  // Last op appended the tuple (l, l) to the outer list.
  PickleValue v = load(w.stop());
  ASSERT_TRUE(v.is(K::list));
  ASSERT_EQ(v.elements().size(), 1u);
  const PickleValue& pair = v.elements()[0];
  ASSERT_EQ(pair.elements().size(), 2u);
  EXPECT_EQ(pair.elements()[0].identity(), pair.elements()[1].identity());
  EXPECT_EQ(v.repr(), "[([1], [1])]");
}

TEST(Pickle, DictLastWriteWins) {
  PickleWriter w;
  w.op('}').mark().str("a").integer(1).str("b").integer(2).str("a").integer(3).op('u');
  PickleValue v = load(w.stop());
  ASSERT_EQ(v.dict_items().size(), 2u);
  ASSERT_NE(v.find("a"), nullptr);
  EXPECT_EQ(v.find("a")->to_int(), 3);
  EXPECT_EQ(v.find("zz"), nullptr);
  EXPECT_EQ(v.repr(), "{'a': 3, 'b': 2}");
}

// torch globals --------------------------------------------------------------

TEST(Pickle, RebuildsTensorFromStorage) {
  CountingLoader loader;
  PickleWriter w;
  w.tensor("FloatStorage", "0", 6, 0, {2, 3}, {3, 1}, true);
  PickleValue v = load(w.stop(), loader.fn());
  ASSERT_TRUE(v.is(K::tensor));
  EXPECT_EQ(v.tensor().describe(), "f32[2, 3]");
  EXPECT_TRUE(v.requires_grad());
  EXPECT_EQ(v.tensor().data_as<float>()[5], 5.0f);
  EXPECT_EQ(loader.calls, 1);
}

TEST(Pickle, RebuildsStridedViewsSharingOneStorage) {
  CountingLoader loader;
  PickleWriter w;
  w.mark();
  w.tensor("FloatStorage", "7", 6, 0, {3, 2}, {1, 3});  // a transpose
  w.tensor("FloatStorage", "7", 6, 2, {2}, {2});       // elements 2 and 4
  w.tuple();
  PickleValue v = load(w.stop(), loader.fn());
  ASSERT_EQ(v.elements().size(), 2u);
  const Tensor& t = v.elements()[0].tensor();
  EXPECT_EQ(t.strides(), (std::vector<int64_t>{1, 3}));
  Tensor c = t.contiguous();
  const float expected[] = {0, 3, 1, 4, 2, 5};
  for (int i = 0; i < 6; ++i) EXPECT_EQ(c.data_as<float>()[i], expected[i]) << i;
  const Tensor& s = v.elements()[1].tensor();
  EXPECT_EQ(s.data_as<float>()[0], 2.0f);
  EXPECT_EQ(s.storage(), t.storage());
  EXPECT_EQ(loader.calls, 1);  // the second persistent id reuses the storage
}

TEST(Pickle, StorageTypesMapToDTypes) {
  const std::pair<const char*, DType> cases[] = {
      {"FloatStorage", DType::f32}, {"DoubleStorage", DType::f64}, {"HalfStorage", DType::f16},
      {"BFloat16Storage", DType::bf16}, {"LongStorage", DType::i64}, {"IntStorage", DType::i32},
      {"ShortStorage", DType::i16}, {"CharStorage", DType::i8}, {"ByteStorage", DType::u8},
      {"BoolStorage", DType::b8}};
  for (const auto& [type, dtype] : cases) {
    CountingLoader loader;
    PickleWriter w;
    w.tensor(type, "0", 4, 0, {4}, {1});
    PickleValue v = load(w.stop(), loader.fn());
    EXPECT_EQ(v.tensor().dtype(), dtype) << type;
  }
}

// PyTorch 2.x may pass _rebuild_tensor_v2 a seventh argument, the tensor's
// math bits as a Dict[str, bool]: all false is a plain tensor; a conjugate
// or negative view is refused.
// Quantized tensors ----------------------------------------------------------

// Storages of element i holding i - 3 (integers) or i + 0.5 (floats).
StorageLoader counting_storages() {
  return [](const std::string&, DType dtype, int64_t numel) {
    auto s = Storage::allocate_cpu(static_cast<size_t>(numel) * dtype_size(dtype));
    for (int64_t i = 0; i < numel; ++i) {
      char* at = static_cast<char*>(s->data()) + i * static_cast<int64_t>(dtype_size(dtype));
      switch (dtype) {
        case DType::i8: *reinterpret_cast<int8_t*>(at) = static_cast<int8_t>(i - 3); break;
        case DType::u8: *reinterpret_cast<uint8_t*>(at) = static_cast<uint8_t>(i + 250); break;
        case DType::i64: *reinterpret_cast<int64_t*>(at) = i - 3; break;
        case DType::f64: *reinterpret_cast<double*>(at) = static_cast<double>(i) + 0.5; break;
        default: break;
      }
    }
    return s;
  };
}

// _rebuild_qtensor(storage, 0, size, stride, quantizer, False, OrderedDict()),
// the quantizer written by `quantizer`.
template <typename Quantizer>
std::string qtensor(const std::string& type, int64_t numel, std::initializer_list<int64_t> size,
                    std::initializer_list<int64_t> stride, Quantizer quantizer) {
  PickleWriter w;
  w.global("torch._utils", "_rebuild_qtensor").mark();
  w.storage(type, "0", numel).integer(0).ints(size).ints(stride);
  quantizer(w);
  w.boolean(false).global("collections", "OrderedDict").op(')').reduce();
  return w.tuple().reduce().stop();
}

std::vector<float> floats_of(const Tensor& t) {
  Tensor c = t.contiguous();
  return {c.data_as<float>(), c.data_as<float>() + c.numel()};
}

TEST(Pickle, RebuildsPerTensorQuantizedTensorAsItsFloats) {
  // int8 values -3..2, transposed; scale 0.5, zero point 1: (q - 1) * 0.5.
  PickleValue v = load(qtensor("QInt8Storage", 6, {3, 2}, {1, 3},
                               [](PickleWriter& w) {
                                 w.mark().global("torch", "per_tensor_affine").floating(0.5).integer(1).tuple();
                               }),
                       counting_storages());
  ASSERT_TRUE(v.is(K::tensor));
  EXPECT_EQ(v.tensor().describe(), "f32[3, 2]");
  // Element (r, c) is storage element r + 3c, holding r + 3c - 3.
  EXPECT_EQ(floats_of(v.tensor()), (std::vector<float>{-2, -0.5f, -1.5f, 0, -1, 0.5f}));
  // Its parts: the integers, a 0-d scale and zero point.
  const QuantizedParts* parts = v.quantized();
  ASSERT_NE(parts, nullptr);
  EXPECT_EQ(parts->values.describe(), "i8[3, 2]");
  const int8_t* q = parts->values.contiguous().data_as<int8_t>();
  EXPECT_EQ(std::vector<int>(q, q + 6), (std::vector<int>{-3, 0, -2, 1, -1, 2}));
  EXPECT_EQ(parts->scale.describe(), "f32[]");
  EXPECT_EQ(floats_of(parts->scale), std::vector<float>{0.5f});
  EXPECT_EQ(floats_of(parts->zero_point), std::vector<float>{1});

  // uint8 values 250..255 with zero point 252.
  PickleValue u = load(qtensor("QUInt8Storage", 6, {6}, {1},
                               [](PickleWriter& w) {
                                 w.mark().global("torch", "per_tensor_affine").floating(0.25).integer(252).tuple();
                               }),
                       counting_storages());
  EXPECT_EQ(floats_of(u.tensor()), (std::vector<float>{-0.5f, -0.25f, 0, 0.25f, 0.5f, 0.75f}));
}

TEST(Pickle, RebuildsPerChannelQuantizedTensorAsItsFloats) {
  // int8 values -3..2 as [2, 3], channels along dim 1: scales 0.5, 1.5, 2.5
  // and zero points -3, -2, -1 (the counting storages' first elements).
  auto per_channel = [](const char* scheme, int64_t axis) {
    return [=](PickleWriter& w) {
      w.mark().global("torch", scheme);
      w.tensor("DoubleStorage", "1", 3, 0, {3}, {1});
      w.tensor("LongStorage", "2", 3, 0, {3}, {1});
      w.integer(axis).tuple();
    };
  };
  PickleValue v = load(qtensor("QInt8Storage", 6, {2, 3}, {3, 1}, per_channel("per_channel_affine", 1)),
                       counting_storages());
  // Row 0: (-3 + 3) * 0.5, (-2 + 2) * 1.5, (-1 + 1) * 2.5; row 1: (0 + 3) * 0.5, (1 + 2) * 1.5, (2 + 1) * 2.5.
  EXPECT_EQ(floats_of(v.tensor()), (std::vector<float>{0, 0, 0, 1.5f, 4.5f, 7.5f}));
  // Scales and zero points shaped to broadcast against the [2, 3] values.
  ASSERT_NE(v.quantized(), nullptr);
  EXPECT_EQ(v.quantized()->scale.describe(), "f32[3]");
  EXPECT_EQ(floats_of(v.quantized()->scale), (std::vector<float>{0.5f, 1.5f, 2.5f}));
  EXPECT_EQ(floats_of(v.quantized()->zero_point), (std::vector<float>{-3, -2, -1}));
  // Along dim 0 of the same values: [2, 1].
  PickleValue rows = load(qtensor("QInt8Storage", 6, {2, 3}, {3, 1}, [](PickleWriter& w) {
                            w.mark().global("torch", "per_channel_affine");
                            w.tensor("DoubleStorage", "1", 2, 0, {2}, {1});
                            w.tensor("LongStorage", "2", 2, 0, {2}, {1});
                            w.integer(0).tuple();
                          }),
                          counting_storages());
  EXPECT_EQ(rows.quantized()->scale.describe(), "f32[2, 1]");
  EXPECT_EQ(rows.quantized()->zero_point.describe(), "f32[2, 1]");
  // Row 0: (-3, -2, -1) + 3 times 0.5; row 1: (0, 1, 2) + 2 times 1.5.
  EXPECT_EQ(floats_of(rows.tensor()), (std::vector<float>{0, 0.5f, 1, 3, 4.5f, 6}));
}

TEST(PickleErrors, MalformedQuantizedTensors) {
  auto per_tensor = [](PickleWriter& w) {
    w.mark().global("torch", "per_tensor_affine").floating(0.5).integer(0).tuple();
  };
  expect_error([&] { load(qtensor("FloatStorage", 4, {4}, {1}, per_tensor), counting_storages()); },
               {"_rebuild_qtensor", "int8, uint8 or int32", "f32"});
  expect_error([&] { load(qtensor("QInt8Storage", 4, {5}, {1}, per_tensor), counting_storages()); },
               {"_rebuild_qtensor"});
  expect_error([] { load(qtensor("QInt8Storage", 4, {4}, {1}, [](PickleWriter& w) { w.floating(0.5); }),
                         counting_storages()); },
               {"quantizer must be a tuple starting with a torch qscheme"});
  expect_error([] { load(qtensor("QInt8Storage", 4, {4}, {1},
                                 [](PickleWriter& w) { w.mark().global("torch", "per_tensor_affine").floating(0.5).tuple(); }),
                         counting_storages()); },
               {"per_tensor_affine takes (scale, zero_point)"});
  auto per_channel = [](int64_t channels, int64_t axis) {
    return [=](PickleWriter& w) {
      w.mark().global("torch", "per_channel_affine");
      w.tensor("DoubleStorage", "1", channels, 0, {channels}, {1});
      w.tensor("LongStorage", "2", channels, 0, {channels}, {1});
      w.integer(axis).tuple();
    };
  };
  expect_error([&] { load(qtensor("QInt8Storage", 6, {2, 3}, {3, 1}, per_channel(3, 2)), counting_storages()); },
               {"channel axis 2 is out of range"});
  expect_error([&] { load(qtensor("QInt8Storage", 6, {2, 3}, {3, 1}, per_channel(2, 1)), counting_storages()); },
               {"needs 3 real scales and zero points"});
  // Packed 4-bit and 2-bit storages hold two or four values a byte.
  expect_error([] { load(PickleWriter().global("torch", "QUInt4x2Storage").stop()); },
               {"torch.QUInt4x2Storage", "not supported"});
}

TEST(Pickle, RebuildsTensorWithMathBits) {
  auto with_bits = [](bool conj) {
    PickleWriter w;
    w.global("torch._utils", "_rebuild_tensor_v2").mark();
    w.storage("FloatStorage", "0", 4).integer(0).ints({2, 2}).ints({2, 1}).boolean(false);
    w.global("collections", "OrderedDict").op(')').reduce();
    w.global("torch.jit._pickle", "restore_type_tag").op('}').mark().str("conj").boolean(conj).op('u');
    w.str("Dict[str, bool]").op(static_cast<uint8_t>(0x86)).reduce();
    return w.tuple().reduce().stop();
  };
  CountingLoader loader;
  PickleValue v = load(with_bits(false), loader.fn());
  EXPECT_EQ(v.tensor().sizes(), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(v.tensor().dtype(), DType::f32);
  CountingLoader other;
  expect_error([&] { load(with_bits(true), other.fn()); }, {"tensor metadata", "'conj': True", "not supported"});
}

TEST(Pickle, TorchListsTypeTagsAndDevices) {
  PickleWriter w;
  w.mark();
  w.global("torch.jit._pickle", "build_intlist").mark().op(']').mark().integer(1).integer(-7);
  w.op('e').tuple().reduce();
  w.global("torch.jit._pickle", "build_doublelist").mark().op(']').mark().floating(2.5);
  w.op('e').tuple().reduce();
  w.global("torch.jit._pickle", "build_boollist").mark().op(']').mark().boolean(true);
  w.op('e').tuple().reduce();
  w.global("torch.jit._pickle", "restore_type_tag").op('}').mark().str("k").integer(1).op('u');
  w.str("Dict[str, int]").op(static_cast<uint8_t>(0x86)).reduce();
  w.global("torch", "device").str("cuda:1").op(static_cast<uint8_t>(0x85)).reduce();
  w.tuple();
  PickleValue v = load(w.stop());
  ASSERT_EQ(v.elements().size(), 5u);
  EXPECT_EQ(v.elements()[0].type_tag(), "List[int]");
  EXPECT_EQ(v.elements()[0].repr(), "[1, -7]");
  EXPECT_EQ(v.elements()[1].type_tag(), "List[float]");
  EXPECT_EQ(v.elements()[1].elements()[0].to_double(), 2.5);
  EXPECT_EQ(v.elements()[2].type_tag(), "List[bool]");
  EXPECT_EQ(v.elements()[3].type_tag(), "Dict[str, int]");
  EXPECT_EQ(v.elements()[3].find("k")->to_int(), 1);
  EXPECT_EQ(v.elements()[4].device_name(), "cuda:1");
}

TEST(Pickle, TorchScriptObjectsAndEnums) {
  PickleWriter w;
  w.global("__torch__.model", "Net").op(')').op(static_cast<uint8_t>(0x81));
  w.op('}').mark().str("training").boolean(true);
  w.str("color").global("__torch__.model", "Color").mark().str("red").tuple().reduce();
  w.op('u').op('b');
  PickleValue v = load(w.stop());
  ASSERT_TRUE(v.is(K::object));
  EXPECT_EQ(v.class_name(), "__torch__.model.Net");
  ASSERT_NE(v.find("training"), nullptr);
  EXPECT_TRUE(v.find("training")->to_bool());
  const PickleValue* color = v.find("color");
  ASSERT_NE(color, nullptr);
  EXPECT_EQ(color->class_name(), "__torch__.model.Color");
  EXPECT_EQ(color->state().to_str(), "red");
}

TEST(Pickle, Protocol4Framing) {
  // PROTO 4, FRAME, SHORT_BINUNICODE, MEMOIZE, STACK_GLOBAL, EMPTY_TUPLE, NEWOBJ.
  std::string b = "\x80\x04\x95";
  std::string body = test::bytes("\x8c\x09__torch__\x94\x8c\x01M\x94\x93\x94)\x81\x94.");
  uint64_t n = body.size();
  for (int i = 0; i < 8; ++i) b += static_cast<char>(n >> (8 * i));
  PickleValue v = load(b + body);
  EXPECT_EQ(v.class_name(), "__torch__.M");
}

// Bad input ------------------------------------------------------------------

TEST(PickleErrors, GlobalOsSystemIsRejected) {
  const std::string b = test::bytes(
      "\x80\x02\x63os\nsystem\nq\x00X\x02\x00\x00\x00lsq\x01\x85q\x02Rq\x03.");
  expect_error([&] { load(b); }, {"test.pkl", "byte 2 (GLOBAL)", "'os.system'", "not allowed"});
}

TEST(PickleErrors, StackGlobalBuiltinsEvalIsRejected) {
  const std::string b = test::bytes("\x80\x04\x8c\x08\x62uiltins\x8c\x04\x65val\x93.");
  expect_error([&] { load(b); }, {"STACK_GLOBAL", "'builtins.eval'", "not allowed"});
}

TEST(PickleErrors, KnownButUnsupportedGlobals) {
  expect_error([] { load(PickleWriter().global("builtins", "complex").stop()); },
               {"complex numbers"});
  expect_error([] { load(PickleWriter().global("torch", "ComplexHalfStorage").stop()); },
               {"torch.ComplexHalfStorage", "not supported"});
  // Storage types newer PyTorch writes for dtypes wick has no kernels for.
  for (const char* type : {"Float8_e4m3fnStorage", "Float8_e5m2Storage", "UInt16Storage", "UInt64Storage"})
    expect_error([&] { load(PickleWriter().global("torch", type).stop()); },
                 {std::string("torch.") + type, "not supported"});
  expect_error([] { load(PickleWriter().global("torch", "load").stop()); },
               {"'torch.load'", "not allowed"});
}

TEST(PickleErrors, UnknownOpcode) {
  expect_error([] { load(test::bytes("\x80\x02N\xff.")); },
               {"test.pkl, byte 3", "unknown pickle opcode 0xff"});
}

TEST(PickleErrors, UnsupportedOpcode) {
  expect_error([] { load(test::bytes("\x80\x04\x8f.")); },
               {"byte 2 (EMPTY_SET)", "not supported"});
  expect_error([] { load(test::bytes("\x80\x02I1\n.")); }, {"(INT)", "not supported"});
}

TEST(PickleErrors, UnsupportedProtocol) {
  expect_error([] { load(test::bytes("\x80\x09N.")); }, {"protocol 9"});
}

TEST(PickleErrors, MemoIndexNeverStored) {
  expect_error([] { load(test::bytes("\x80\x02N\x71\x00h\x05.")); },
               {"byte 5 (BINGET)", "memo index 5 was never stored"});
  expect_error([] { load(test::bytes("\x80\x02j\xff\xff\xff\xff.")); },
               {"(LONG_BINGET)", "memo index 4294967295"});
}

TEST(PickleErrors, StackUnderflow) {
  expect_error([] { load(test::bytes("\x80\x02N\x61.")); }, {"(APPEND)", "stack underflow"});
  expect_error([] { load(test::bytes("\x80\x02.")); }, {"(STOP)", "stack underflow"});
  // Popping below a MARK is an underflow too.
  expect_error([] { load(test::bytes("\x80\x02]((\x61.")); }, {"stack underflow"});
  expect_error([] { load(test::bytes("\x80\x02Nt.")); }, {"(TUPLE)", "no MARK"});
}

TEST(PickleErrors, MissingStop) {
  expect_error([] { load(test::bytes("\x80\x02N")); }, {"without a STOP"});
  expect_error([] { load(""); }, {"without a STOP"});
}

TEST(PickleErrors, LengthsBeyondTheInput) {
  expect_error([] { load(test::bytes("\x80\x02X\xf0\xff\xff\xff" "ab.")); },
               {"(BINUNICODE)", "truncated", "needs 4294967280 bytes"});
  expect_error([] { load(test::bytes("\x80\x04\x8d\xff\xff\xff\xff\xff\xff\xff\x7f.")); },
               {"(BINUNICODE8)", "truncated"});
  expect_error([] { load(test::bytes("\x80\x04\x95\x00\x00\x00\x00\x01\x00\x00\x00N.")); },
               {"(FRAME)", "truncated"});
  expect_error([] { load(test::bytes("\x80\x02\x8b\x00\x00\x00\x80.")); },
               {"(LONG4)", "negative length"});
  expect_error([] { load(test::bytes("\x80\x02\x63os\nsys")); },
               {"(GLOBAL)", "truncated"});
}

TEST(PickleErrors, IntegerTooLarge) {
  // 2**64 as LONG1: nine bytes.
  expect_error([] { load(test::bytes("\x80\x02\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x01.")); },
               {"(LONG1)", "does not fit in 64 bits"});
}

TEST(PickleErrors, DeeplyNestedListsAreBounded) {
  const size_t n = 200000;
  // EMPTY_LIST n times, then APPEND n-1 times: a chain n lists deep.
  std::string b = "\x80\x02" + std::string(n, ']') + std::string(n - 1, 'a') + ".";
  expect_error([&] { load(b); }, {"nested more than", "levels deep"});
  // MARK ... LIST nesting and TUPLE1 chains.
  std::string marks = "\x80\x02" + std::string(n, '(') + std::string(n, 'l') + ".";
  expect_error([&] { load(marks); }, {"nested more than"});
  std::string tuples = "\x80\x02N" + std::string(n, '\x85') + ".";
  expect_error([&] { load(tuples); }, {"nested more than"});
}

TEST(PickleErrors, DeepChainLeftInMemoIsFreed) {
  // The chain is never part of the result: it must still be freed without
  // recursion when the reader finishes.
  const size_t n = 200000;
  std::string b = "\x80\x02" + std::string(n, ']') + std::string(n - 1, 'a') + "q\x00" + "0N.";
  PickleValue v = load(b);
  EXPECT_TRUE(v.is_none());
}

TEST(PickleErrors, NestingWithinTheLimitIsFine) {
  const size_t n = kMaxPickleDepth - 1;
  std::string b = "\x80\x02" + std::string(n, ']') + std::string(n - 1, 'a') + ".";
  PickleValue v = load(b);
  EXPECT_TRUE(v.is(K::list));
}

TEST(PickleErrors, MemoryIsBounded) {
  // A million one-byte EMPTY_LIST opcodes: tiny when deflated, large when read.
  const std::string b = "\x80\x02" + std::string(1000000, ']') + ".";
  PickleLimits limits;
  limits.max_memory = 16 << 20;
  expect_error([&] { unpickle(b, {}, "bomb.pkl", limits); },
               {"bomb.pkl", "(EMPTY_LIST)", "needs more than 16777216 bytes of memory"});
  // Shared values cost a slot each, not a copy of what they refer to.
  const std::string dup = "\x80\x02]" + std::string(1000000, '2') + ".";
  expect_error([&] { unpickle(dup, {}, "dup.pkl", limits); }, {"(DUP)", "bytes of memory"});
  limits.max_memory = 1 << 30;
  EXPECT_TRUE(unpickle(b, {}, "bomb.pkl", limits).is(K::list));
}

TEST(PickleErrors, ReferenceCycle) {
  // l = []; l.append(l)
  expect_error([] { load(test::bytes("\x80\x02]q\x00h\x00\x61.")); },
               {"(STOP)", "reference cycle"});
  // An object whose state refers to itself.
  PickleWriter w;
  w.global("__torch__", "M").op(')').op(static_cast<uint8_t>(0x81)).op('q').op(uint8_t{0});
  w.op('}').str("self").op('h').op(uint8_t{0}).op('s').op('b');
  expect_error([&] { load(w.stop()); }, {"reference cycle"});
}

TEST(PickleErrors, NegativeTensorSize) {
  CountingLoader loader;
  PickleWriter w;
  w.tensor("FloatStorage", "0", 6, 0, {-1, 3}, {3, 1});
  expect_error([&] { load(w.stop(), loader.fn()); },
               {"(REDUCE): torch._utils._rebuild_tensor_v2: tensor shape [-1, 3]", "negative"});
}

TEST(PickleErrors, OverflowingTensorSize) {
  CountingLoader loader;
  PickleWriter w;
  w.tensor("FloatStorage", "0", 6, 0, {int64_t{1} << 62, int64_t{1} << 62}, {1, 1});
  expect_error([&] { load(w.stop(), loader.fn()); },
               {"_rebuild_tensor_v2", "overflows"});
  PickleWriter w2;
  w2.tensor("FloatStorage", "0", 6, 0, {2, 2}, {int64_t{1} << 62, 1});
  expect_error([&] { load(w2.stop(), loader.fn()); },
               {"_rebuild_tensor_v2", "but its storage holds 24"});
}

TEST(PickleErrors, TensorReachesPastItsStorage) {
  CountingLoader loader;
  PickleWriter w;
  w.tensor("FloatStorage", "0", 6, 0, {2, 4}, {4, 1});
  expect_error([&] { load(w.stop(), loader.fn()); },
               {"_rebuild_tensor_v2", "needs 32 bytes but its storage holds 24"});
  PickleWriter w2;
  w2.tensor("FloatStorage", "0", 6, 5, {2}, {1});
  expect_error([&] { load(w2.stop(), loader.fn()); }, {"at offset 5", "needs 28 bytes"});
  PickleWriter w3;
  w3.tensor("FloatStorage", "0", 6, -1, {2}, {1});
  expect_error([&] { load(w3.stop(), loader.fn()); }, {"negative storage offset"});
}

TEST(PickleErrors, LoaderReturnsLessThanDeclared) {
  CountingLoader loader;
  loader.shortfall_bytes = 4;
  PickleWriter w;
  w.tensor("FloatStorage", "3", 6, 0, {6}, {1});
  expect_error([&] { load(w.stop(), loader.fn()); },
               {"(BINPERSID)", "storage '3' holds 20 bytes", "6 f32 elements"});
}

TEST(PickleErrors, BadPersistentIds) {
  CountingLoader loader;
  PickleWriter neg;
  neg.storage("FloatStorage", "0", -5);
  expect_error([&] { load(neg.stop(), loader.fn()); }, {"-5 elements", "negative or too large"});
  PickleWriter huge;
  huge.storage("DoubleStorage", "0", int64_t{1} << 61);
  expect_error([&] { load(huge.stop(), loader.fn()); }, {"negative or too large"});
  PickleWriter odd;
  odd.mark().str("file").str("x").tuple().op('Q');
  expect_error([&] { load(odd.stop(), loader.fn()); }, {"persistent id must be"});
  PickleWriter none;
  none.storage("FloatStorage", "0", 4);
  expect_error([&] { load(none.stop()); }, {"refers to storage '0'"});
  PickleWriter twice;
  twice.mark().storage("FloatStorage", "0", 4).storage("IntStorage", "0", 4).tuple();
  expect_error([&] { load(twice.stop(), loader.fn()); }, {"declared twice"});
  EXPECT_EQ(loader.calls, 1);
}

TEST(PickleErrors, MisusedGlobals) {
  expect_error([] { load(PickleWriter().global("torch._utils", "_rebuild_tensor_v2")
                             .mark().integer(1).tuple().reduce().stop()); },
               {"_rebuild_tensor_v2", "takes 6 to 7 arguments, got 1"});
  expect_error([] { load(PickleWriter().global("torch.jit._pickle", "build_intlist")
                             .mark().op(']').mark().str("x").op('e').tuple().reduce().stop()); },
               {"build_intlist", "'x'", "not of type int"});
  expect_error([] { load(PickleWriter().global("torch", "device").op(')')
                             .op(static_cast<uint8_t>(0x81)).stop()); },
               {"NEWOBJ needs a TorchScript class"});
  expect_error([] { load(PickleWriter().integer(1).op(')').reduce().stop()); },
               {"(REDUCE)", "not a function"});
  expect_error([] { load(PickleWriter().op(']').op('}').op('b').stop()); },
               {"(BUILD)", "list, not an object"});
  expect_error([] { load(PickleWriter().global("torch", "FloatStorage").op(')').reduce()
                             .stop()); },
               {"cannot be called"});
}

TEST(PickleErrors, TruncatedAtEveryLengthNeverCrashes) {
  CountingLoader loader;
  PickleWriter w;
  w.global("__torch__", "Net").op(')').op(static_cast<uint8_t>(0x81)).op('}').mark();
  w.str("weight").tensor("FloatStorage", "0", 6, 0, {2, 3}, {3, 1}, true);
  w.str("il").global("torch.jit._pickle", "build_intlist").mark().op(']').mark().integer(1)
      .integer(1000).integer(-3).op('e').tuple().reduce();
  w.op('u').op('b');
  const std::string full = w.stop();
  ASSERT_TRUE(load(full, loader.fn()).is(K::object));
  for (size_t cut = 0; cut < full.size(); ++cut) {
    SCOPED_TRACE(cut);
    expect_error([&] { load(full.substr(0, cut), loader.fn()); }, {"test.pkl"});
  }
  // Flipped bytes either read or fail with wick::Error.
  for (size_t i = 0; i < full.size(); ++i) {
    for (uint8_t x : {uint8_t{0x01}, uint8_t{0x80}, uint8_t{0xff}}) {
      std::string bad = full;
      bad[i] = static_cast<char>(bad[i] ^ x);
      try {
        load(bad, loader.fn());
      } catch (const Error&) {
      }
    }
  }
}

}  // namespace
}  // namespace wick
