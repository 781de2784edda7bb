// The files of a deployed artifact other than the plan: XXH64 checksums,
// weights.bin (round trip, zero-copy read-only mapping, every truncation and
// corruption refused), the JSON reader and manifest.json (round trip, every
// malformed field refused with its name, dynamic dims as symbols, the device
// and GPU architectures of CUDA artifacts), input
// shapes checked against specs with dynamic dims, and the CPU feature checks.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "runtime/checksum.h"
#include "runtime/cpu_features.h"
#include "runtime/file_util.h"
#include "runtime/json.h"
#include "runtime/manifest.h"
#include "runtime/tensor_spec.h"
#include "runtime/weights_file.h"

namespace wick::rt {
namespace {

class TempDir {
 public:
  TempDir() {
    path_ = (std::filesystem::temp_directory_path() /
             ("wick_artifact_files_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++)))
                .string();
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  static inline int counter_ = 0;
  std::string path_;
};

std::string slurp(const std::string& path) { return read_file(path, size_t{1} << 30); }

// Expects `f` to throw a wick::Error whose text contains `what`.
template <typename F>
void expect_error(F&& f, const std::string& what) {
  try {
    f();
    ADD_FAILURE() << "no error; expected one containing: " << what;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
  }
}

TEST(Checksum, Xxh64ReferenceValues) {
  EXPECT_EQ(xxh64("", 0), 0xef46db3751d8e999ull);
  EXPECT_EQ(xxh64("a", 1), 0xd24ec4f1a98c6e5bull);
  EXPECT_EQ(xxh64("abc", 3), 0x44bc2cf5ad770999ull);
  // Lengths that take every path: the 32-byte stripes, 8- and 4-byte tails, single bytes.
  const std::string text = "Nobody inspects the spammish repetition";
  EXPECT_EQ(xxh64(text), 0xfbcea83c8a378bf1ull);
  uint64_t v = 0;
  EXPECT_TRUE(parse_hex64(hex64(0x0123456789abcdefull), &v));
  EXPECT_EQ(v, 0x0123456789abcdefull);
  EXPECT_FALSE(parse_hex64("0123", &v));
  EXPECT_FALSE(parse_hex64("0123456789abcdeg", &v));
}

std::vector<std::pair<std::string, Tensor>> sample_tensors() {
  Tensor a = Tensor::zeros(DType::f32, {3, 5});
  for (int i = 0; i < 15; ++i) a.data_as<float>()[i] = static_cast<float>(i) * 0.5f;
  Tensor b = Tensor::zeros(DType::i64, {4});
  for (int i = 0; i < 4; ++i) b.data_as<int64_t>()[i] = -i * 1000000007LL;
  Tensor transposed = a.as_strided({5, 3}, {1, 5}, 0);  // written contiguous
  return {{"layer.weight", a}, {"ids", b}, {"t", transposed}, {"empty", Tensor::zeros(DType::f32, {0, 7})},
          {"scalar", Tensor::zeros(DType::f64, {})}};
}

TEST(WeightsFile, RoundTripIsZeroCopyAndAligned) {
  TempDir dir;
  const auto tensors = sample_tensors();
  const WeightsFile written = write_weights(dir.file("weights.bin"), tensors);
  const WeightsFile w = open_weights(dir.file("weights.bin"));
  EXPECT_EQ(w.data_checksum, written.data_checksum);
  EXPECT_EQ(w.file_size, std::filesystem::file_size(dir.file("weights.bin")));
  ASSERT_EQ(w.names.size(), tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    SCOPED_TRACE(tensors[i].first);
    EXPECT_EQ(w.names[i], tensors[i].first);
    const Tensor& t = w.tensors[i];
    const Tensor expected = tensors[i].second.contiguous();
    EXPECT_EQ(t.dtype(), expected.dtype());
    EXPECT_EQ(t.sizes(), expected.sizes());
    EXPECT_EQ(std::memcmp(t.data(), expected.data(), expected.nbytes()), 0);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data()) % 64, 0u);
  }
  EXPECT_EQ(w.tensors[2].data_as<float>()[1], 2.5f);  // transposed: row 0 is column 0 of `a`
  EXPECT_EQ(w.find("ids"), &w.tensors[1]);
  EXPECT_EQ(w.find("nope"), nullptr);

  // The data lies in a read-only mapping of the file.
  std::ifstream maps("/proc/self/maps");
  std::string line;
  bool found = false;
  const auto address = reinterpret_cast<uintptr_t>(w.tensors[0].data());
  while (std::getline(maps, line)) {
    if (line.find(dir.file("weights.bin")) == std::string::npos) continue;
    std::istringstream s(line);
    std::string range, perms;
    s >> range >> perms;
    const uintptr_t lo = std::stoull(range.substr(0, range.find('-')), nullptr, 16);
    const uintptr_t hi = std::stoull(range.substr(range.find('-') + 1), nullptr, 16);
    if (address >= lo && address < hi) {
      found = true;
      EXPECT_EQ(perms.substr(0, 2), "r-");
    }
  }
  EXPECT_TRUE(found) << "weights are not a view of the mapped file";
}

TEST(WeightsFile, TheMappingOutlivesTheFileObject) {
  TempDir dir;
  write_weights(dir.file("w.bin"), sample_tensors());
  Tensor kept;
  {
    WeightsFile w = open_weights(dir.file("w.bin"));
    kept = w.tensors[0];
  }
  std::filesystem::remove(dir.file("w.bin"));
  EXPECT_EQ(kept.data_as<float>()[3], 1.5f);
}

TEST(WeightsFile, EveryTruncationIsAnError) {
  TempDir dir;
  write_weights(dir.file("w.bin"), sample_tensors());
  const std::string bytes = slurp(dir.file("w.bin"));
  for (size_t n = 0; n < bytes.size(); ++n) {
    write_file_atomic(dir.file("cut.bin"), std::string_view(bytes).substr(0, n));
    SCOPED_TRACE(n);
    expect_error([&] { open_weights(dir.file("cut.bin")); }, dir.file("cut.bin"));
  }
}

TEST(WeightsFile, EveryByteFlipIsAnError) {
  TempDir dir;
  write_weights(dir.file("w.bin"), sample_tensors());
  const std::string bytes = slurp(dir.file("w.bin"));
  for (size_t at = 0; at < bytes.size(); ++at) {
    std::string b = bytes;
    b[at] = static_cast<char>(b[at] ^ 0x40);
    write_file_atomic(dir.file("flip.bin"), b);
    try {
      open_weights(dir.file("flip.bin"));
      // Padding between the table and the data is not covered by a checksum.
      uint64_t table_size = 0;
      std::memcpy(&table_size, bytes.data() + 16, 8);
      const uint64_t table_end = 64 + table_size;
      EXPECT_GE(at, table_end) << "flip at " << at << " went unnoticed";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("flip.bin"), std::string::npos);
    }
  }
}

TEST(WeightsFile, SpecificProblemsHaveClearMessages) {
  TempDir dir;
  write_weights(dir.file("w.bin"), sample_tensors());
  const std::string bytes = slurp(dir.file("w.bin"));
  std::string data_flip = bytes;
  data_flip[bytes.size() - 70] ^= 1;
  write_file_atomic(dir.file("a.bin"), data_flip);
  expect_error([&] { open_weights(dir.file("a.bin")); }, "weights data checksum mismatch");
  std::string version = bytes;
  version[8] = 2;
  write_file_atomic(dir.file("b.bin"), version);
  expect_error([&] { open_weights(dir.file("b.bin")); }, "weights format version 2");
  write_file_atomic(dir.file("c.bin"), bytes.substr(0, bytes.size() - 1));
  expect_error([&] { open_weights(dir.file("c.bin")); }, "truncated or corrupt");
  expect_error([&] { open_weights(dir.file("missing.bin")); }, "cannot open: No such file");
  write_file_atomic(dir.file("empty.bin"), "");
  expect_error([&] { open_weights(dir.file("empty.bin")); }, "file is empty");
  expect_error([&] { write_weights(dir.file("d.bin"), {{"x", Tensor::zeros(DType::f32, {1})}, {"x", Tensor::zeros(DType::f32, {1})}}); },
               "written twice");
}

TEST(Json, ParsesValues) {
  const Json j = parse_json(R"( {"a": [1, -2.5e3, true, false, null], "s": "q\"\\\/\n\u00e9\ud83d\ude00", "o": {}} )", "t");
  ASSERT_TRUE(j.is(Json::Kind::object));
  const Json* a = j.find("a");
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(a->items().size(), 5u);
  EXPECT_EQ(a->items()[1].text(), "-2.5e3");
  EXPECT_TRUE(a->items()[2].boolean());
  EXPECT_TRUE(a->items()[4].is(Json::Kind::null));
  EXPECT_EQ(j.find("s")->text(), "q\"\\/\n\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_EQ(parse_json(json_quote("tab\t\x01 \"x\""), "t").text(), "tab\t\x01 \"x\"");
}

TEST(Json, RefusesMalformedText) {
  const char* bad[] = {"",       "{",           "{\"a\" 1}",   "[1,]",     "01",       "1.",        "\"\\x\"",
                       "\"\x01\"", "{\"a\":1,\"a\":2}", "tru",   "[1] 2",    "\"\\ud800\"", "{1: 2}", "-"};
  for (const char* text : bad) {
    SCOPED_TRACE(text);
    expect_error([&] { parse_json(text, "m.json"); }, "m.json:");
  }
  std::string deep(10000, '[');
  expect_error([&] { parse_json(deep, "m.json"); }, "nested deeper");
  expect_error([&] { parse_json("{\n  \"a\": tru\n}", "m.json"); }, "m.json:2:8");
}

Manifest sample_manifest() {
  Manifest m;
  m.wick_version = runtime_version();
  m.identity = 0x1234abcd5678ef90ull;
  m.target = "x86-64-v3";
  m.arch = runtime_arch();
  m.cpu = "x86-64-v3";
  m.required_features = {"avx2", "fma"};
  m.model = "net \"1\".pt";
  m.method = "forward";
  m.inputs = {{"x", {DType::f32, {200, 14}}}, {"ids", {DType::i64, {}}}};
  m.outputs = {{"output0", {DType::f32, {200, 1}}}};
  m.kernel_count = 12;
  m.model_so = {12345, 0xffffffffffffffffull};
  m.plan_bin = {678, 1};
  m.weights_bin = {9999999999ull, 0xabcdef0123456789ull};
  return m;
}

TEST(Manifest, RoundTrips) {
  const Manifest m = sample_manifest();
  const std::string json = manifest_to_json(m);
  const Manifest back = parse_manifest(json, "manifest.json");
  EXPECT_EQ(manifest_to_json(back), json);
  EXPECT_EQ(back.inputs[1].spec.sizes.size(), 0u);
  EXPECT_EQ(back.weights_bin.bytes, 9999999999ull);
  EXPECT_EQ(identity_string(back), std::string("wick-artifact/1 wick/") + runtime_version() +
                                       " target/x86-64-v3 id/1234abcd5678ef90 plan/0000000000000001 weights/abcdef0123456789");
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
  const size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

TEST(Manifest, EveryMalformedFieldIsNamed) {
  const std::string json = manifest_to_json(sample_manifest());
  struct Case {
    std::string from, to, message;
  };
  const Case cases[] = {
      {"\"format\": \"wick-artifact\"", "\"format\": \"zip\"", "format is not"},
      {"\"format_version\": 1", "\"format_version\": 5", "artifact format version 5, but this runtime reads versions 1 to 4"},
      {"\"format_version\": 1", "\"format_version\": 0", "artifact format version 0, but this runtime reads versions 1 to 4"},
      {"\"format_version\": 1", "\"format_version\": \"1\"", "format_version must be a number, not a string"},
      {"\"identity\": \"1234abcd5678ef90\"", "\"identity\": \"xyz\"", "identity must be 16 hex digits"},
      {"\"cpu\": \"x86-64-v3\"", "\"cpux\": \"x86-64-v3\"", "target.cpu is missing"},
      {"\"required_features\": [\"avx2\"", "\"required_features\": [3", "target.required_features must hold"},
      {"\"shape\": [200, 14]", "\"shape\": [200, -1]", "inputs[0].shape is out of range: -1"},
      {"\"shape\": [200, 14]", "\"shape\": [200, 1.5]", "inputs[0].shape must be an integer"},
      {"\"shape\": [200, 14]", "\"shape\": [4000000000, 4000000000]", "inputs[0].shape is too large"},
      {"\"dtype\": \"i64\"", "\"dtype\": \"int128\"", "inputs[1].dtype names no dtype"},
      {"\"kernel_count\": 12", "\"kernel_count\": 99999999999", "kernel_count is out of range"},
      {"\"bytes\": 678", "\"bytes\": 678.0", "files.plan.bin.bytes must be an integer"},
      {"\"data_xxh64\"", "\"xxh64\"", "files.weights.bin.data_xxh64 is missing"},
      {"\"outputs\": [", "\"outputs\": {\"a\": 1}, \"x\": [", "outputs must be an array"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.to);
    const std::string edited = replace(json, c.from, c.to);
    expect_error([&] { parse_manifest(edited, "dir/manifest.json"); }, "dir/manifest.json: error: ");
    expect_error([&] { parse_manifest(edited, "dir/manifest.json"); }, c.message);
  }
  expect_error([&] { parse_manifest("[]", "m"); }, "not a JSON object");
}

// A manifest with dynamic dims: B shared by two inputs, T of one.
Manifest dynamic_manifest() {
  Manifest m = sample_manifest();
  m.symbols = {"B", "T"};
  m.inputs = {{"x", {DType::f32, {1, 14}, {0, -1}}}, {"y", {DType::f32, {2, 1}, {0, 1}}}};
  m.outputs = {{"output0", {DType::f32, {3, 7}, {0, -1}}}, {"output1", {DType::i64, {5}}}};
  m.format_version = artifact_format_version(m);
  return m;
}

TEST(Manifest, DynamicDimsRoundTrip) {
  const Manifest m = dynamic_manifest();
  EXPECT_EQ(m.format_version, 2);
  const std::string json = manifest_to_json(m);
  EXPECT_NE(json.find("\"format_version\": 2"), std::string::npos) << json;
  EXPECT_NE(json.find("\"symbols\": [\"B\", \"T\"]"), std::string::npos) << json;
  EXPECT_NE(json.find("\"shape\": [\"B\", 14]"), std::string::npos) << json;
  EXPECT_NE(json.find("\"shape\": [\"2*B\", \"T\"]"), std::string::npos) << json;
  EXPECT_NE(json.find("\"shape\": [\"3*B\", 7]"), std::string::npos) << json;
  const Manifest back = parse_manifest(json, "manifest.json");
  EXPECT_EQ(manifest_to_json(back), json);
  EXPECT_EQ(back.symbols, m.symbols);
  EXPECT_EQ(back.inputs[1].spec.sizes, (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(back.inputs[1].spec.size_symbols, (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(back.outputs[0].spec.size_symbols, (std::vector<int32_t>{0, -1}));
  EXPECT_TRUE(back.outputs[1].spec.size_symbols.empty());
  EXPECT_EQ(identity_string(back).rfind("wick-artifact/2 ", 0), 0u);
  // Static manifests stay version 1, without "symbols", as older runtimes read them.
  const std::string static_json = manifest_to_json(sample_manifest());
  EXPECT_NE(static_json.find("\"format_version\": 1"), std::string::npos);
  EXPECT_EQ(static_json.find("symbols"), std::string::npos);
  // A version 2 manifest need not have dynamic dims.
  const std::string v2 = replace(static_json, "\"format_version\": 1", "\"format_version\": 2");
  EXPECT_TRUE(parse_manifest(v2, "m").symbols.empty());
  // A version 1 manifest cannot be written with dynamic dims.
  Manifest wrong = dynamic_manifest();
  wrong.format_version = 1;
  EXPECT_THROW(manifest_to_json(wrong), InternalError);
}

TEST(Manifest, BadDynamicDimsAreNamed) {
  const std::string json = manifest_to_json(dynamic_manifest());
  struct Case {
    std::string from, to, message;
  };
  const Case cases[] = {
      {"[\"B\", 14]", "[\"C\", 14]", "inputs[0].shape names an unknown symbol \"C\" (the manifest's symbols are B, T)"},
      {"[\"3*B\", 7]", "[\"3*Q\", 7]", "outputs[0].shape names an unknown symbol \"Q\""},
      {"[\"B\", 14]", "[\"0*B\", 14]", "inputs[0].shape has a bad dim \"0*B\""},
      {"[\"B\", 14]", "[\"-2*B\", 14]", "has a bad dim \"-2*B\""},
      {"[\"B\", 14]", "[\"B*3\", 14]", "has a bad dim \"B*3\""},
      {"[\"B\", 14]", "[\"*B\", 14]", "has a bad dim \"*B\""},
      {"[\"B\", 14]", "[\"3*\", 14]", "has a bad dim \"3*\""},
      {"[\"B\", 14]", "[\"\", 14]", "has a bad dim \"\""},
      {"[\"B\", 14]", "[\"B + 1\", 14]", "has a bad dim \"B + 1\""},
      {"[\"B\", 14]", "[\"99999999999999999999*B\", 14]", "has a bad dim"},
      {"[\"B\", 14]", "[null, 14]", "inputs[0].shape must hold integers and symbols"},
      {"[\"B\", 14]", "[\"4000000000*B\", 4000000000]", "inputs[0].shape is too large"},
      {"\"symbols\": [\"B\", \"T\"]", "\"symbols\": [\"B\", \"B\"]", "symbols names \"B\" twice"},
      {"\"symbols\": [\"B\", \"T\"]", "\"symbols\": [\"B\", \"1T\"]", "symbols must hold names"},
      {"\"symbols\": [\"B\", \"T\"]", "\"symbols\": [\"B\", 7]", "symbols must hold names"},
      {"\"symbols\": [\"B\", \"T\"]", "\"symbols\": \"B\"", "symbols must be an array"},
      {"\"symbols\": [\"B\", \"T\"]", "\"symbols\": [\"B\", \"T\", \"U\"]", "names \"U\", which is no dim of an input"},
      {"\"format_version\": 2", "\"format_version\": 1", "symbols needs format version 2"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.to);
    const std::string edited = replace(json, c.from, c.to);
    expect_error([&] { parse_manifest(edited, "dir/manifest.json"); }, "dir/manifest.json: error: manifest: ");
    expect_error([&] { parse_manifest(edited, "dir/manifest.json"); }, c.message);
  }
  // A static manifest with a symbolic shape names the missing declaration.
  const std::string static_json = manifest_to_json(sample_manifest());
  expect_error([&] { parse_manifest(replace(static_json, "[200, 14]", "[\"B\", 14]"), "m"); },
               "inputs[0].shape names an unknown symbol \"B\" (the manifest declares none)");
}

// A manifest with a dim the data sizes (format version 4): "n" sizes only
// intermediates, bound as the plan runs.
TEST(Manifest, DataDimsRoundTripAndAreChecked) {
  Manifest m = dynamic_manifest();
  m.symbols.push_back("n");
  m.data_dims = {"n"};
  m.format_version = artifact_format_version(m);
  EXPECT_EQ(m.format_version, 4);
  const std::string json = manifest_to_json(m);
  EXPECT_NE(json.find("\"data_dims\": [\"n\"]"), std::string::npos) << json;
  const Manifest back = parse_manifest(json, "manifest.json");
  EXPECT_EQ(back.data_dims, m.data_dims);
  EXPECT_EQ(manifest_to_json(back), json);
  struct Case {
    std::string from, to, message;
  };
  const Case cases[] = {
      {"\"data_dims\": [\"n\"]", "\"data_dims\": [\"m\"]", "data_dims must hold names listed in \"symbols\""},
      {"\"data_dims\": [\"n\"]", "\"data_dims\": [\"n\", \"n\"]", "data_dims names \"n\" twice"},
      {"\"data_dims\": [\"n\"]", "\"data_dims\": [\"T\"]", "data_dims names \"T\", which sizes an input"},
      {"\"data_dims\": [\"n\"]", "\"data_dims\": []", "names \"n\", which is no dim of an input"},
      {"[\"3*B\", 7]", "[\"3*n\", 7]", "data_dims names \"n\", which sizes an output"},
      {"\"format_version\": 4", "\"format_version\": 3", "data_dims needs format version 4"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.to);
    const std::string edited = replace(json, c.from, c.to);
    expect_error([&] { parse_manifest(edited, "dir/manifest.json"); }, c.message);
  }
}

// A CUDA artifact's manifest: PTX for sm_80, cubins for sm_80 and sm_90.
Manifest cuda_manifest() {
  Manifest m = sample_manifest();
  m.device = "cuda";
  m.ptx_sm = 80;
  m.cubin_sms = {80, 90};
  m.gpu_kernels_bin = {4242, 0x0123456789abcdefull};
  m.format_version = artifact_format_version(m);
  return m;
}

TEST(Manifest, CudaRoundTrips) {
  const Manifest m = cuda_manifest();
  EXPECT_EQ(m.format_version, 3);
  const std::string json = manifest_to_json(m);
  EXPECT_NE(json.find("\"format_version\": 3"), std::string::npos) << json;
  EXPECT_NE(json.find("\"device\": \"cuda\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"gpu\": {\"ptx_sm\": 80, \"cubin_sms\": [80, 90]}"), std::string::npos) << json;
  EXPECT_NE(json.find("\"gpu_kernels.bin\": {\"bytes\": 4242, \"xxh64\": \"0123456789abcdef\"}"), std::string::npos)
      << json;
  const Manifest back = parse_manifest(json, "manifest.json");
  EXPECT_EQ(manifest_to_json(back), json);
  EXPECT_TRUE(back.cuda());
  EXPECT_EQ(back.ptx_sm, 80);
  EXPECT_EQ(back.cubin_sms, (std::vector<int>{80, 90}));
  EXPECT_EQ(back.gpu_kernels_bin.checksum, 0x0123456789abcdefull);
  EXPECT_EQ(identity_string(back).rfind("wick-artifact/3 ", 0), 0u);
  // PTX only (no ptxas at compile time).
  Manifest ptx_only = cuda_manifest();
  ptx_only.cubin_sms.clear();
  EXPECT_TRUE(parse_manifest(manifest_to_json(ptx_only), "m").cubin_sms.empty());
  // CPU artifacts keep versions 1 and 2 and say nothing of a device.
  const std::string cpu_json = manifest_to_json(sample_manifest());
  EXPECT_EQ(cpu_json.find("device"), std::string::npos);
  EXPECT_EQ(cpu_json.find("gpu"), std::string::npos);
  EXPECT_EQ(parse_manifest(cpu_json, "m").device, "cpu");
  // A version 3 manifest may name the CPU.
  const std::string v3_cpu = replace(replace(cpu_json, "\"format_version\": 1", "\"format_version\": 3"),
                                     "\"kernel_count\": 12,", "\"kernel_count\": 12, \"device\": \"cpu\",");
  EXPECT_FALSE(parse_manifest(v3_cpu, "m").cuda());
  // A version 2 manifest cannot be written for a GPU.
  Manifest wrong = cuda_manifest();
  wrong.format_version = 2;
  EXPECT_THROW(manifest_to_json(wrong), InternalError);
}

TEST(Manifest, BadDevicesAreNamed) {
  const std::string json = manifest_to_json(cuda_manifest());
  struct Case {
    std::string from, to, message;
  };
  const Case cases[] = {
      {"\"device\": \"cuda\"", "\"device\": \"tpu\"", "device names an unknown device \"tpu\" (this runtime knows cpu and cuda)"},
      {"\"device\": \"cuda\"", "\"device\": 1", "device must be a string"},
      {"\"device\": \"cuda\",", "", "device is missing"},
      {"\"device\": \"cuda\"", "\"device\": \"cpu\"", "gpu belongs to CUDA artifacts only (the device is cpu)"},
      {"\"format_version\": 3", "\"format_version\": 2", "device needs format version 3 (the manifest says 2)"},
      {"\"gpu\": {\"ptx_sm\": 80, \"cubin_sms\": [80, 90]},", "", "gpu is missing"},
      {"\"ptx_sm\": 80", "\"ptx_sm\": 7", "gpu.ptx_sm is out of range: 7"},
      {"\"ptx_sm\": 80", "\"ptx_sm\": \"80\"", "gpu.ptx_sm must be a number"},
      {"\"cubin_sms\": [80, 90]", "\"cubin_sms\": [90, 80]", "gpu.cubin_sms must increase"},
      {"\"cubin_sms\": [80, 90]", "\"cubin_sms\": [80, 80]", "gpu.cubin_sms must increase"},
      {"\"cubin_sms\": [80, 90]", "\"cubin_sms\": [80, 121]", "gpu.cubin_sms is out of range: 121"},
      {"\"cubin_sms\": [80, 90]", "\"cubin_sms\": [\"80\"]", "gpu.cubin_sms must hold integers"},
      {"\"cubin_sms\": [80, 90]", "\"cubin_sms\": 80", "gpu.cubin_sms must be an array"},
      {"\"gpu_kernels.bin\": {\"bytes\": 4242", "\"gpu_kernels.binx\": {\"bytes\": 4242", "files.gpu_kernels.bin is missing"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.to);
    const std::string edited = replace(json, c.from, c.to);
    expect_error([&] { parse_manifest(edited, "dir/manifest.json"); }, "dir/manifest.json: error: manifest: ");
    expect_error([&] { parse_manifest(edited, "dir/manifest.json"); }, c.message);
  }
  // Device fields in a manifest of an older version, and GPU files in a CPU one.
  const std::string cpu_json = manifest_to_json(sample_manifest());
  expect_error([&] { parse_manifest(replace(cpu_json, "\"kernel_count\": 12,", "\"kernel_count\": 12, \"device\": \"cuda\","), "m"); },
               "device needs format version 3 (the manifest says 1)");
  expect_error([&] { parse_manifest(replace(cpu_json, "\"kernel_count\": 12,", "\"kernel_count\": 12, \"gpu\": {},"), "m"); },
               "gpu needs format version 3 (the manifest says 1)");
  expect_error(
      [&] {
        parse_manifest(replace(cpu_json, "\"weights.bin\": {", "\"gpu_kernels.bin\": {\"bytes\": 1, \"xxh64\": \"0123456789abcdef\"}, \"weights.bin\": {"),
                       "m");
      },
      "files.gpu_kernels.bin belongs to CUDA artifacts only (the device is cpu)");
}

TEST(TensorSpec, TextResolveAndBind) {
  const std::vector<std::string> symbols = {"B", "T"};
  const TensorSpec x{DType::f32, {1, 14}, {0, -1}}, y{DType::f32, {2, 1}, {0, 1}}, s{DType::i64, {3}};
  EXPECT_EQ(spec_text(x, symbols), "f32[B, 14]");
  EXPECT_EQ(spec_text(y, symbols), "f32[2*B, T]");
  EXPECT_EQ(spec_text(s, symbols), "i64[3]");
  EXPECT_EQ(resolve_sizes(y, {5, 7}), (std::vector<int64_t>{10, 7}));
  EXPECT_EQ(resolve_sizes(y, {5}), (std::vector<int64_t>{10, -1}));
  EXPECT_EQ(resolve_sizes(y, {INT64_MAX, 1}), (std::vector<int64_t>{-1, 1}));
  EXPECT_TRUE(same_spec(s, TensorSpec{DType::i64, {3}, {-1}}));
  EXPECT_FALSE(same_spec(x, TensorSpec{DType::f32, {1, 14}}));
  EXPECT_TRUE(valid_symbol_name("_batch2"));
  for (const char* bad : {"", "2B", "B-1", "B*2", "é"}) EXPECT_FALSE(valid_symbol_name(bad)) << bad;
  EXPECT_FALSE(valid_symbol_name(std::string(kMaxSymbolName + 1, 'a')));

  const std::vector<TensorSpec> specs = {x, y};
  const std::vector<std::string> names = {"x", "y"};
  auto bind = [&](std::vector<int64_t> a, std::vector<int64_t> b, std::vector<int64_t>* values, DType dt = DType::f32) {
    return bind_input_shapes(specs, names, symbols, {{dt, &a}, {DType::f32, &b}}, values);
  };
  std::vector<int64_t> values;
  EXPECT_EQ(bind({5, 14}, {10, 3}, &values), "");
  EXPECT_EQ(values, (std::vector<int64_t>{5, 3}));
  EXPECT_EQ(bind({0, 14}, {0, 1}, &values), "");  // a batch of 0
  EXPECT_EQ(values, (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(bind({5, 14}, {12, 3}, &values),
            "input 1 (y) is f32[12, 3], which makes B = 6, but input 0 (x) made it 5 (the model was compiled for "
            "f32[2*B, T])");
  EXPECT_EQ(bind({5, 14}, {11, 3}, &values),
            "input 1 (y) is f32[11, 3], but the model was compiled for f32[2*B, T]: dim 0 must be a multiple of 2");
  EXPECT_EQ(bind({5, 13}, {10, 3}, &values), "input 0 (x) is f32[5, 13], but the model was compiled for f32[B, 14]");
  EXPECT_EQ(bind({5}, {10, 3}, &values), "input 0 (x) is f32[5], but the model was compiled for f32[B, 14]");
  EXPECT_EQ(bind({5, 14}, {10, 3}, &values, DType::f64),
            "input 0 (x) is f64[5, 14], but the model was compiled for f32[B, 14]");
  std::vector<int64_t> one = {5, 14};
  EXPECT_EQ(bind_input_shapes(specs, names, symbols, {{DType::f32, &one}}, &values), "the model takes 2 inputs, got 1");
}

TEST(Manifest, CompatibilityChecks) {
  Manifest m = sample_manifest();
  m.required_features.clear();
  check_compatible(m, "dir");
  m.wick_version = "0.0.1";
  expect_error([&] { check_compatible(m, "dir"); }, "compiled by wick 0.0.1, but this runtime is wick");
  m = sample_manifest();
  m.required_features = {"sse2", "no-such-feature"};
  try {
    check_compatible(m, "dir");
    ADD_FAILURE();
  } catch (const UnsupportedCpu& e) {
    EXPECT_NE(std::string(e.what()).find("needs CPU features this CPU lacks: no-such-feature"), std::string::npos)
        << e.what();
  }
  m.arch = "riscv64";
  EXPECT_THROW(check_compatible(m, "dir"), UnsupportedCpu);
}

TEST(CpuFeatures, LevelsAndDetection) {
  const auto v3 = level_features("x86-64-v3");
  const auto v4 = level_features("x86-64-v4");
  ASSERT_TRUE(v3 && v4);
  EXPECT_FALSE(level_features("x86-64-v9"));
  for (const std::string& f : *v4) EXPECT_TRUE(checkable_cpu_feature(f)) << f;
  EXPECT_GT(v4->size(), v3->size());
  if (std::string(runtime_arch()) == "x86_64") {
    // Every x86-64 CPU has SSE2; nobody has a made-up feature.
    EXPECT_TRUE(missing_cpu_features({"sse", "sse2"}).empty());
    EXPECT_EQ(missing_cpu_features({"sse2", "made-up"}), std::vector<std::string>{"made-up"});
    // What cpuid says agrees with the kernel's view in /proc/cpuinfo.
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::string line, flags;
    while (std::getline(cpuinfo, line))
      if (line.rfind("flags", 0) == 0) {
        flags = line + " ";
        break;
      }
    if (!flags.empty()) {
      for (const auto& [feature, flag] : {std::pair<std::string, std::string>{"avx2", " avx2 "},
                                          {"avx512f", " avx512f "}, {"fma", " fma "}, {"bmi2", " bmi2 "}}) {
        const bool listed = flags.find(flag) != std::string::npos;
        EXPECT_EQ(missing_cpu_features({feature}).empty(), listed) << feature;
      }
    }
  }
}

}  // namespace
}  // namespace wick::rt
