// plan.bin: plans written and read back are structurally equal (compared as
// printed text, which shows every field), for hand-made plans exercising
// every field and for the plans of every zoo model; every truncation, byte
// flip and structural inconsistency is a wick::Error naming the file.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <random>

#include "api/plan_method.h"
#include "frontend/loader.h"
#include "runtime/byte_io.h"
#include "runtime/checksum.h"
#include "runtime/npy.h"
#include "runtime/plan_io.h"
#include "runtime/plan_printer.h"
#include "runtime/plan_validate.h"
#include "test_paths.h"

namespace wick::rt {
namespace {

Instr make(Op op, std::vector<Slot> inputs, std::vector<Slot> outputs) {
  Instr in;
  in.op = op;
  in.inputs = std::move(inputs);
  in.outputs = std::move(outputs);
  return in;
}

// A plan touching every field and every kind of instruction.
Plan sample_plan() {
  Plan p;
  p.num_slots = 40;
  p.inputs = {0, 1};
  p.input_specs = {{DType::f32, {2, 3}, {}}, {DType::i64, {}, {}}};
  p.outputs = {20, 21};
  p.tensors = {{2, "fc.weight"}, {3, "weird \"name\"\n\x01"}};
  p.kernels = {"wick_add_0123456789abcdef", "k2"};
  p.arena_bytes = 4096;

  Instr alloc = make(Op::alloc, {}, {4});
  alloc.dtype = DType::f32;
  alloc.ints = {2, 3};
  alloc.arena_offset = 64;
  p.body.instrs.push_back(alloc);
  Instr k = make(Op::kernel, {0, 2}, {4, 5});
  k.index = 1;
  k.ints = {1};
  k.text = "aten::index_select";
  p.body.instrs.push_back(k);
  Instr e = make(Op::extern_call, {0, 2, -1}, {6});
  e.index = static_cast<int32_t>(ExternOp::linear);
  e.post_op = static_cast<uint8_t>(PostOp::clip);
  e.post_alpha = -0.5f;
  e.post_beta = 6.25f;
  e.text = "aten::linear";
  p.body.instrs.push_back(e);
  Instr addmm = make(Op::extern_call, {3, 0, 2}, {7});
  addmm.index = static_cast<int32_t>(ExternOp::addmm);
  addmm.floats = {0.5, -std::numeric_limits<double>::infinity()};
  p.body.instrs.push_back(addmm);
  Instr v = make(Op::view, {4}, {8});
  v.ints = {2, 3, 2, 1, 3, -7};
  p.body.instrs.push_back(v);
  Instr sel = make(Op::select, {4, 1}, {9});
  sel.ints = {1};
  p.body.instrs.push_back(sel);
  Instr c = make(Op::constant, {}, {10});
  c.scalar = ScalarType::int_;
  c.ints = {std::numeric_limits<int64_t>::min()};
  p.body.instrs.push_back(c);
  Instr f = make(Op::constant, {}, {11});
  f.scalar = ScalarType::float_;
  f.floats = {-0.0};
  p.body.instrs.push_back(f);
  Instr s = make(Op::constant, {}, {12});
  s.scalar = ScalarType::str;
  s.text = std::string("with\0zero", 9);
  p.body.instrs.push_back(s);
  Instr add = make(Op::scalar, {10, 10}, {13});
  add.index = static_cast<int32_t>(ScalarOp::add_int);
  p.body.instrs.push_back(add);
  Instr tt = make(Op::to_tensor, {13}, {14});
  tt.dtype = DType::i64;
  p.body.instrs.push_back(tt);
  Instr item = make(Op::item, {14}, {15});
  item.index = 2;
  p.body.instrs.push_back(item);
  p.body.instrs.push_back(make(Op::move, {4, 6}, {16, 17}));

  Instr iff = make(Op::if_, {15}, {20});
  Block then_block, else_block;
  then_block.instrs.push_back(make(Op::move, {16}, {18}));
  then_block.results = {18};
  Instr raise = make(Op::raise, {}, {});
  raise.text = "boom";
  else_block.instrs.push_back(raise);
  else_block.results = {17};
  iff.blocks = {then_block, else_block};
  p.body.instrs.push_back(iff);

  Instr loop = make(Op::loop, {13, 15, 16}, {21});
  Block body;
  body.params = {30, 31};
  Instr lt = make(Op::scalar, {30, 13}, {32});
  lt.index = static_cast<int32_t>(ScalarOp::lt);
  body.instrs.push_back(lt);
  body.results = {32, 31};
  loop.blocks = {body};
  p.body.instrs.push_back(loop);
  return p;
}

void expect_same(const Plan& a, const Plan& b) {
  EXPECT_EQ(print_plan(a), print_plan(b));
  EXPECT_EQ(encode_plan(a), encode_plan(b));
}

// Expects decoding to throw a wick::Error naming the file.
void expect_error(std::string_view bytes, const std::string& what = "") {
  try {
    decode_plan(bytes, "model/plan.bin");
    ADD_FAILURE() << "decoded without an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.where().file, "model/plan.bin") << e.what();
    if (!what.empty()) {
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
  }
}

// The encoding of `p` with its checksum recomputed after `edit` changed the payload.
std::string reseal(std::string bytes) {
  const uint64_t sum = xxh64(std::string_view(bytes).substr(32));
  for (int i = 0; i < 8; ++i) bytes[24 + i] = static_cast<char>((sum >> (8 * i)) & 0xff);
  return bytes;
}

std::string encode_unchecked(const Plan& p) {
  // encode_plan does not validate, so invalid plans can be written for tests.
  return encode_plan(p);
}

TEST(PlanIo, HandMadePlanRoundTrips) {
  const Plan p = sample_plan();
  validate_plan(p, "sample");
  const Plan q = decode_plan(encode_plan(p), "sample");
  expect_same(p, q);
  EXPECT_EQ(q.body.instrs[2].post_alpha, -0.5f);
  EXPECT_TRUE(std::signbit(q.body.instrs[7].floats[0]));
  EXPECT_EQ(q.body.instrs[8].text.size(), 9u);
  EXPECT_EQ(q.tensors[1].second, "weird \"name\"\n\x01");
}

// Field by field, without the printer: every field of Instr and Plan set to
// a non-default value comes back equal.
TEST(PlanIo, EveryFieldSurvivesOnItsOwn) {
  Plan p;
  p.num_slots = 9;
  p.inputs = {1};
  p.input_specs = {{DType::i32, {4, 0}, {}}};
  p.outputs = {2};
  p.tensors = {{3, "w"}};
  p.kernels = {"k"};
  p.arena_bytes = 1 << 20;
  Instr in = make(Op::extern_call, {1, 3, -1}, {2});
  in.index = static_cast<int32_t>(ExternOp::conv1d);
  in.ints = {1, 0, 1, 1, 1};
  in.floats = {};
  in.dtype = DType::bf16;
  in.scalar = ScalarType::bool_;
  in.text = "t";
  in.post_op = static_cast<uint8_t>(PostOp::hardswish);
  in.post_alpha = 1.5f;
  in.post_beta = -2.5f;
  in.arena_offset = 128;
  p.body.params = {4};
  p.body.results = {5};
  p.body.instrs.push_back(in);
  const Plan q = decode_plan(encode_plan(p), "fields");
  EXPECT_EQ(q.num_slots, p.num_slots);
  EXPECT_EQ(q.inputs, p.inputs);
  ASSERT_EQ(q.input_specs.size(), 1u);
  EXPECT_EQ(q.input_specs[0].dtype, DType::i32);
  EXPECT_EQ(q.input_specs[0].sizes, p.input_specs[0].sizes);
  EXPECT_EQ(q.outputs, p.outputs);
  EXPECT_EQ(q.tensors, p.tensors);
  EXPECT_EQ(q.kernels, p.kernels);
  EXPECT_EQ(q.arena_bytes, p.arena_bytes);
  EXPECT_EQ(q.body.params, p.body.params);
  EXPECT_EQ(q.body.results, p.body.results);
  ASSERT_EQ(q.body.instrs.size(), 1u);
  const Instr& r = q.body.instrs[0];
  EXPECT_EQ(r.op, in.op);
  EXPECT_EQ(r.index, in.index);
  EXPECT_EQ(r.inputs, in.inputs);
  EXPECT_EQ(r.outputs, in.outputs);
  EXPECT_EQ(r.ints, in.ints);
  EXPECT_EQ(r.floats, in.floats);
  EXPECT_EQ(r.dtype, in.dtype);
  EXPECT_EQ(r.scalar, in.scalar);
  EXPECT_EQ(r.text, in.text);
  EXPECT_EQ(r.blocks.size(), in.blocks.size());
  EXPECT_EQ(r.post_op, in.post_op);
  EXPECT_EQ(r.post_alpha, in.post_alpha);
  EXPECT_EQ(r.post_beta, in.post_beta);
  EXPECT_EQ(r.arena_offset, in.arena_offset);
}

TEST(PlanIo, NanConstantsKeepTheirBits) {
  Plan p;
  p.num_slots = 1;
  Instr f = make(Op::constant, {}, {0});
  f.scalar = ScalarType::float_;
  f.floats = {std::numeric_limits<double>::quiet_NaN()};
  p.body.instrs.push_back(f);
  const Plan q = decode_plan(encode_plan(p), "nan");
  EXPECT_TRUE(std::isnan(q.body.instrs[0].floats[0]));
}

TEST(PlanIo, PrinterShowsEveryFieldThatIsSet) {
  const std::string text = print_plan(sample_plan());
  for (const char* expected :
       {"num_slots 40", "input_specs [f32[2, 3], i64[]]", "tensors [%2 = \"fc.weight\"", "arena_bytes 4096",
        "kernel #1 inputs=[%0, %2] outputs=[%4, %5] ints=[1] text=\"aten::index_select\"",
        "extern_call linear inputs=[%0, %2, %-1]", "post_op=clip post_alpha=-0.5 post_beta=6.25",
        "alloc outputs=[%4] ints=[2, 3] dtype=f32 arena_offset=64", "floats=[0.5, -inf]", "item bool",
        "text=\"with\\x00zero\"", "block 1:", "raise text=\"boom\"", "params [%30, %31]", "scalar lt"})
    EXPECT_NE(text.find(expected), std::string::npos) << expected << " not in\n" << text;
}

TEST(PlanIo, FilesRoundTripAndErrorsNameTheFile) {
  const std::string dir = (std::filesystem::temp_directory_path() / ("wick_plan_io_" + std::to_string(::getpid()))).string();
  std::filesystem::create_directories(dir);
  write_plan(dir + "/plan.bin", sample_plan());
  expect_same(read_plan(dir + "/plan.bin"), sample_plan());
  try {
    read_plan(dir + "/missing.bin");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(dir + "/missing.bin: error: cannot open"), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir);
}

TEST(PlanIo, EveryTruncationIsAnError) {
  const std::string bytes = encode_plan(sample_plan());
  for (size_t n = 0; n < bytes.size(); ++n) expect_error(std::string_view(bytes).substr(0, n));
  expect_error(bytes + "x", "payload");
}

TEST(PlanIo, EveryTruncationOfThePayloadIsAnErrorEvenWithAValidChecksum) {
  const std::string bytes = encode_plan(sample_plan());
  for (size_t n = 32; n < bytes.size(); ++n) {
    std::string cut = bytes.substr(0, n);
    const uint64_t size = n - 32;
    for (int i = 0; i < 8; ++i) cut[16 + i] = static_cast<char>((size >> (8 * i)) & 0xff);
    expect_error(reseal(cut));
  }
}

TEST(PlanIo, ByteFlipsAreCaughtByTheChecksum) {
  const std::string bytes = encode_plan(sample_plan());
  std::mt19937 rng(7);
  for (int trial = 0; trial < 2000; ++trial) {
    std::string b = bytes;
    const size_t at = rng() % b.size();
    b[at] = static_cast<char>(b[at] ^ (1 + rng() % 255));
    expect_error(b);
  }
}

// With the checksum recomputed, flips reach the decoder and validator: they
// must either give a valid plan or a wick::Error, never a crash or a hang.
TEST(PlanIo, ResealedByteFlipsNeverCrash) {
  const std::string bytes = encode_plan(sample_plan());
  std::mt19937 rng(11);
  int errors = 0;
  for (int trial = 0; trial < 5000; ++trial) {
    std::string b = bytes;
    const int flips = 1 + static_cast<int>(rng() % 3);
    for (int f = 0; f < flips; ++f) {
      const size_t at = 32 + rng() % (b.size() - 32);
      b[at] = static_cast<char>(b[at] ^ (1 + rng() % 255));
    }
    try {
      Plan p = decode_plan(reseal(b), "flipped");
      validate_plan(p, "flipped");  // what decoding returns is always valid
    } catch (const Error&) {
      ++errors;
    }
  }
  EXPECT_GT(errors, 1000);
}

TEST(PlanIo, HeaderProblems) {
  const std::string bytes = encode_plan(sample_plan());
  std::string magic = bytes;
  magic[0] = 'X';
  expect_error(magic, "bad magic");
  std::string version = bytes;
  version[8] = 9;
  expect_error(version, "plan format version 9, but this runtime reads version " + std::to_string(kPlanFormatVersion));
  expect_error("", "not a wick plan");
}

TEST(PlanIo, HugeCountsFailBeforeAllocating) {
  const std::string bytes = encode_plan(Plan{});
  // The payload starts with num_slots (4 bytes), then the inputs count.
  std::string b = bytes;
  for (int i = 0; i < 4; ++i) b[36 + i] = '\xff';
  expect_error(reseal(b), "bad inputs count 4294967295");
}

TEST(PlanIo, DeepNestingIsRefused) {
  Plan p;
  p.num_slots = 1;
  Block* b = &p.body;
  for (int depth = 0; depth < 100; ++depth) {
    Instr iff = make(Op::if_, {0}, {});
    iff.blocks.resize(2);
    b->instrs.push_back(std::move(iff));
    b = &b->instrs.back().blocks[0];
  }
  EXPECT_THROW(encode_plan(p), Error);
  EXPECT_THROW(validate_plan(p, "deep"), Error);
}

// Plans that decode but are inconsistent: each is refused with a message.
TEST(PlanIo, ValidatorRefusesInconsistentPlans) {
  struct Case {
    const char* name;
    void (*edit)(Plan&);
    const char* message;
  };
  const Case cases[] = {
      {"slot out of range", [](Plan& p) { p.body.instrs[1].inputs[0] = 40; }, "operand slot 40 is out of range"},
      {"negative slot", [](Plan& p) { p.outputs[0] = -2; }, "output slot -2"},
      {"absent non-optional operand", [](Plan& p) { p.body.instrs[2].inputs[0] = -1; }, "operand slot -1"},
      {"kernel index", [](Plan& p) { p.body.instrs[1].index = 2; }, "kernel index out of range"},
      {"kernel flags", [](Plan& p) { p.body.instrs[1].ints = {7}; }, "bad kernel flags"},
      {"kernel arguments", [](Plan& p) { p.body.instrs[1].inputs.assign(70, 0); }, "more than 64 arguments"},
      {"extern op", [](Plan& p) { p.body.instrs[2].index = 99; }, "unknown library call"},
      {"extern ints", [](Plan& p) { p.body.instrs[2].ints = {1}; }, "expected 0 integers"},
      {"post-op", [](Plan& p) { p.body.instrs[2].post_op = 200; }, "unknown post-op"},
      {"post-op elsewhere", [](Plan& p) { p.body.instrs[1].post_op = 1; }, "no library call"},
      {"view ints", [](Plan& p) { p.body.instrs[4].ints = {3, 1}; }, "integers"},
      {"view rank", [](Plan& p) { p.body.instrs[4].ints = {-1}; }, "bad view rank"},
      {"select dim", [](Plan& p) { p.body.instrs[5].ints = {99}; }, "bad dimension"},
      {"scalar op", [](Plan& p) { p.body.instrs[9].index = 250; }, "unknown scalar op"},
      {"scalar arity", [](Plan& p) { p.body.instrs[9].inputs = {10}; }, "expected 2 operands"},
      {"int constant", [](Plan& p) { p.body.instrs[6].ints.clear(); }, "integers"},
      {"item kind", [](Plan& p) { p.body.instrs[11].index = 3; }, "bad item kind"},
      {"move arity", [](Plan& p) { p.body.instrs[12].outputs.pop_back(); }, "results"},
      {"if blocks", [](Plan& p) { p.body.instrs[13].blocks.pop_back(); }, "blocks"},
      {"branch results", [](Plan& p) { p.body.instrs[13].blocks[0].results.clear(); }, "branch results"},
      {"loop params", [](Plan& p) { p.body.instrs[14].blocks[0].params.pop_back(); }, "loop body parameters"},
      {"alloc shape", [](Plan& p) { p.body.instrs[0].ints = {-1}; }, "bad shape"},
      {"alloc too big", [](Plan& p) { p.body.instrs[0].ints = {int64_t{1} << 40, 1 << 20}; }, "bad shape"},
      {"arena", [](Plan& p) { p.body.instrs[0].arena_offset = 4090; }, "outside the arena"},
      {"arena size", [](Plan& p) { p.arena_bytes = -5; }, "bad arena size"},
      {"blocks on a plain op", [](Plan& p) { p.body.instrs[0].blocks.resize(1); }, "blocks"},
      {"slot count", [](Plan& p) { p.num_slots = kMaxPlanSlots + 1; }, "bad slot count"},
      {"input specs", [](Plan& p) { p.input_specs.pop_back(); }, "input specs"},
      {"input rank", [](Plan& p) { p.input_specs[0].sizes.assign(17, 1); }, "rank 17"},
      {"kernel name", [](Plan& p) { p.kernels[0] = "../evil"; }, "bad kernel name"},
      {"tensor name", [](Plan& p) { p.tensors[0].second.clear(); }, "empty name"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Plan p = sample_plan();
    c.edit(p);
    expect_error(encode_unchecked(p), c.message);
  }
}

// A plan with a dynamic dim B: input [B, 3], an alloc and a view of
// [2*B, 3], a kernel split along dim 0.
Plan dynamic_plan() {
  Plan p;
  p.num_slots = 8;
  p.symbols = {"B"};
  p.inputs = {0};
  p.input_specs = {{DType::f32, {1, 3}, {0, -1}}};
  p.kernels = {"k"};
  p.outputs = {3};
  Instr alloc = make(Op::alloc, {}, {1});
  alloc.ints = {2, 3};
  alloc.int_symbols = {0, -1};
  p.body.instrs.push_back(alloc);
  Instr k = make(Op::kernel, {0}, {1});
  k.sliced = {1, 1};
  p.body.instrs.push_back(k);
  Instr v = make(Op::view, {1}, {2});
  v.ints = {2, 2, 3, 3, 1, 0};
  v.int_symbols = {-1, 0, -1, -1, -1, -1};
  p.body.instrs.push_back(v);
  p.body.instrs.push_back(make(Op::move, {2}, {3}));
  return p;
}

TEST(PlanIo, DynamicDimsRoundTrip) {
  const Plan p = dynamic_plan();
  validate_plan(p, "dynamic");
  const Plan q = decode_plan(encode_plan(p), "dynamic");
  expect_same(p, q);
  EXPECT_EQ(q.symbols, p.symbols);
  EXPECT_EQ(q.input_specs[0].size_symbols, p.input_specs[0].size_symbols);
  EXPECT_EQ(q.body.instrs[0].int_symbols, p.body.instrs[0].int_symbols);
  EXPECT_EQ(q.body.instrs[1].sliced, p.body.instrs[1].sliced);
}

// Dynamic-dim fields that do not fit the plan are refused before the
// executor could index out of range with them.
TEST(PlanIo, ValidatorRefusesBadDynamicDims) {
  struct Case {
    const char* name;
    void (*edit)(Plan&);
    const char* message;
  };
  const Case cases[] = {
      {"int_symbols length", [](Plan& p) { p.body.instrs[0].int_symbols = {0}; }, "expected 2 dynamic size entries"},
      {"int_symbols index", [](Plan& p) { p.body.instrs[0].int_symbols = {1, -1}; }, "dynamic dim 1 out of range"},
      {"int_symbols negative", [](Plan& p) { p.body.instrs[0].int_symbols = {-5, -1}; }, "dynamic dim -5 out of range"},
      {"int_symbols huge", [](Plan& p) { p.body.instrs[2].int_symbols[1] = 1 << 30; }, "out of range"},
      {"int_symbols on a kernel", [](Plan& p) { p.body.instrs[1].int_symbols = {0}; }, "dynamic sizes on an instruction"},
      {"view of dynamic rank", [](Plan& p) { p.body.instrs[2].int_symbols[0] = 0; }, "a view of dynamic rank"},
      {"dynamic alloc in the arena",
       [](Plan& p) {
         p.arena_bytes = 1024;
         p.body.instrs[0].arena_offset = 0;
       },
       "a dynamic-size allocation in the arena"},
      {"size_symbols length", [](Plan& p) { p.input_specs[0].size_symbols = {0}; }, "has 1 dynamic dim entries"},
      {"size_symbols index", [](Plan& p) { p.input_specs[0].size_symbols = {0, 3}; }, "names dynamic dim 3"},
      {"size_symbols negative", [](Plan& p) { p.input_specs[0].size_symbols = {0, -2}; }, "names dynamic dim -2"},
      {"size_symbols coefficient", [](Plan& p) { p.input_specs[0].sizes[0] = 0; }, "coefficient 0"},
      {"symbol bound by no input", [](Plan& p) { p.symbols.push_back("T"); }, "\"T\" is no dim of an input"},
      {"symbol name", [](Plan& p) { p.symbols[0] = "B C"; }, "bad dynamic dim name"},
      {"symbol twice",
       [](Plan& p) {
         p.symbols.push_back("B");
         p.input_specs[0].size_symbols[1] = 1;
       },
       "named twice"},
      {"symbols without dims", [](Plan& p) { p.input_specs[0].size_symbols.clear(); }, "is no dim of an input"},
      {"sliced length", [](Plan& p) { p.body.instrs[1].sliced = {1}; }, "expected 2 sliced flags"},
      {"sliced flag", [](Plan& p) { p.body.instrs[1].sliced = {1, 7}; }, "bad sliced flag 7"},
      {"sliced without outputs",
       [](Plan& p) {
         p.body.instrs[1].outputs.clear();
         p.body.instrs[1].sliced = {1};
       },
       "expected at least 1 results"},
      {"sliced on a view", [](Plan& p) { p.body.instrs[2].sliced = {1, 1}; }, "sliced arguments on an instruction"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Plan p = dynamic_plan();
    c.edit(p);
    expect_error(encode_unchecked(p), c.message);
  }
}

// Resealed byte flips of a plan with dynamic dims never crash.
TEST(PlanIo, ResealedFlipsOfADynamicPlanNeverCrash) {
  const std::string bytes = encode_plan(dynamic_plan());
  std::mt19937 rng(5);
  int errors = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    std::string b = bytes;
    const size_t at = 32 + rng() % (b.size() - 32);
    b[at] = static_cast<char>(b[at] ^ (1 + rng() % 255));
    try {
      validate_plan(decode_plan(reseal(b), "flipped"), "flipped");
    } catch (const Error&) {
      ++errors;
    }
  }
  EXPECT_GT(errors, 500);
}

TEST(PlanIo, EnumOutOfRangeInTheFileIsAnError) {
  Plan p;
  p.num_slots = 1;
  p.body.instrs.push_back(make(Op::move, {}, {}));
  std::string b = encode_plan(p);
  // The instruction's op byte follows num_slots, the counts of five empty
  // lists and the body's instruction count: 4 + 4 * 5 + 4 = 28 bytes in.
  ASSERT_EQ(static_cast<uint8_t>(b[32 + 28]), static_cast<uint8_t>(Op::move));
  b[32 + 28] = static_cast<char>(77);
  expect_error(reseal(b), "bad op value 77");
}

// The plans of every zoo model, built for the zoo's own inputs: they round
// trip, and their truncations and flips are refused or still valid.
TEST(PlanIo, ZooPlansRoundTrip) {
  int models = 0;
  for (const auto& entry : std::filesystem::directory_iterator(wick::test_paths::zoo_dir())) {
    const std::string path = entry.path().string();
    if (entry.path().extension() != ".pt") continue;
    SCOPED_TRACE(path);
    const std::string stem = entry.path().filename().string();
    const std::string model = stem.substr(0, stem.find('.'));
    std::vector<ir::TypePtr> types;
    for (int i = 0;; ++i) {
      const std::string input = std::string(wick::test_paths::zoo_dir()) + "/" + model + ".input" + std::to_string(i) + ".npy";
      if (!std::filesystem::exists(input)) break;
      const Tensor t = read_npy(input);
      types.push_back(ir::Type::tensor_static(t.dtype(), t.sizes()));
    }
    auto module = load_torchscript(path);
    PlannedMethod planned = plan_method(*module->method("forward"), *module, types);
    const std::string bytes = encode_plan(planned.built.plan);
    const Plan back = decode_plan(bytes, path);
    expect_same(planned.built.plan, back);
    // Truncations and resealed flips of a real plan, sampled.
    std::mt19937 rng(static_cast<unsigned>(bytes.size()));
    for (int k = 0; k < 200; ++k) {
      expect_error(std::string_view(bytes).substr(0, rng() % bytes.size()));
      std::string b = bytes;
      const size_t at = 32 + rng() % (b.size() - 32);
      b[at] = static_cast<char>(b[at] ^ (1 + rng() % 255));
      try {
        validate_plan(decode_plan(reseal(b), "flipped"), "flipped");
      } catch (const Error&) {
      }
    }
    ++models;
  }
  EXPECT_GE(models, 20);
}

}  // namespace
}  // namespace wick::rt
