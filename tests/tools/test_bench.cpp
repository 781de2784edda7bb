// `wick bench`: one smoke run on nn5 whose JSON line is checked (no timing
// assertions: speed is shown by bench/ only), clear errors (exit 2) for a
// missing model, inputs that do not fit, bad options and a missing or broken
// LibTorch peer plugin, and the statistics the report is made of.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "cli_runner.h"
#include "support/error.h"
#include "tools/bench_stats.h"
#include "test_paths.h"

namespace wick {
namespace {

using testing::run_wick;

const std::string kNn5 = std::string(wick::test_paths::zoo_dir()) + "/nn5.scripted.pt";
const char kMissingPeer[] =
    "wick bench needs the LibTorch peer plugin (libwick_torch_peer.so), which this build does not have";

std::string last_line(const std::string& text) {
  std::string t = text;
  while (!t.empty() && t.back() == '\n') t.pop_back();
  size_t nl = t.rfind('\n');
  return nl == std::string::npos ? t : t.substr(nl + 1);
}

// Parses `line` with Python's json module; returns each top-level key with
// its value as JSON text, or an empty map when it does not parse as an object.
std::map<std::string, std::string> parse_json_object(const std::string& line) {
  std::string dir = testing::temp_dir("bench_json");
  testing::write_text(dir + "/line.json", line);
  std::string cmd = "/usr/bin/python3 -c 'import json, sys\n"
                    "d = json.loads(open(sys.argv[1]).read())\n"
                    "assert isinstance(d, dict)\n"
                    "for k, v in d.items(): print(k + \"\\t\" + json.dumps(v))' " +
                    dir + "/line.json > " + dir + "/keys.txt";
  std::map<std::string, std::string> out;
  if (std::system(cmd.c_str()) != 0) return out;
  std::ifstream in(dir + "/keys.txt");
  std::string row;
  while (std::getline(in, row)) {
    size_t tab = row.find('\t');
    if (tab != std::string::npos) out[row.substr(0, tab)] = row.substr(tab + 1);
  }
  return out;
}

// Sets an environment variable for the lifetime of the object.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) { setenv(name, value.c_str(), 1); }
  ~ScopedEnv() { unsetenv(name_); }

 private:
  const char* name_;
};

TEST(Bench, Nn5SmokeRunEndsWithAJsonLine) {
  auto r = run_wick("bench " + kNn5 + " --input 200x14 --iters 1 --warmup 0 --threads 1 --json");
  ASSERT_EQ(r.status, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("outputs agree"), std::string::npos) << r.out;
  auto json = parse_json_object(last_line(r.out));
  ASSERT_FALSE(json.empty()) << "the last line is not a JSON object:\n" << r.out;
  EXPECT_EQ(json["model"], "\"" + kNn5 + "\"");
  EXPECT_EQ(json["threads"], "1");
  EXPECT_EQ(json["iters"], "1");
  for (const char* key : {"wick_median_us", "torch_median_us", "speedup", "wick_p10_us", "wick_p90_us",
                          "torch_p10_us", "torch_p90_us"}) {
    SCOPED_TRACE(key);
    ASSERT_TRUE(json.count(key)) << r.out;
    EXPECT_GT(std::stod(json[key]), 0.0);
  }
  EXPECT_LE(std::stod(json["max_rel_error"]), 1e-4);
}

TEST(Bench, OptionalInputGivenAsNoneReachesBothSides) {
  // nn.Transformer(src, tgt, src_mask=None, tgt_mask=causal): both sides
  // must read None for src_mask, or their outputs disagree.
  const std::string zoo = wick::test_paths::zoo_dir();
  const std::string dir = testing::temp_dir("bench_none");
  ASSERT_EQ(std::system(("/usr/bin/python3 -c \"import numpy as np; m = np.triu(np.full((5, 5), -1e9, np.float32), 1); "
                         "np.save('" + dir + "/causal.npy', m)\"").c_str()),
            0);
  auto r = run_wick("bench " + zoo + "/transformer.scripted.pt --input " + zoo + "/transformer.input0.npy --input " + zoo +
                    "/transformer.input1.npy --input none --input " + dir + "/causal.npy --iters 1 --warmup 0 --json");
  ASSERT_EQ(r.status, 0) << r.err << r.out;
  auto json = parse_json_object(last_line(r.out));
  ASSERT_TRUE(json.count("max_rel_error")) << r.out;
  EXPECT_LE(std::stod(json["max_rel_error"]), 1e-4);
}

TEST(Bench, Bfloat16ModelAgreesWithinTheToleranceGiven) {
  // LibTorch's bf16 matrix products round differently from wick's (f32
  // products rounded once): the default 1e-4 refuses, a bf16 tolerance passes.
  const std::string zoo = wick::test_paths::zoo_dir();
  const std::string args = "bench " + zoo + "/bfloat16.scripted.pt --input " + zoo + "/bfloat16.input0.npy --input " +
                           zoo + "/bfloat16.input1.npy --iters 1 --warmup 0 --json";
  auto strict = run_wick(args);
  EXPECT_EQ(strict.status, 2) << strict.err << strict.out;
  EXPECT_NE(strict.err.find("above the tolerance 1e-04"), std::string::npos) << strict.err;
  auto loose = run_wick(args + " --tolerance 2e-2");
  ASSERT_EQ(loose.status, 0) << loose.err << loose.out;
  auto json = parse_json_object(last_line(loose.out));
  ASSERT_TRUE(json.count("max_rel_error")) << loose.out;
  EXPECT_GT(std::stod(json["max_rel_error"]), 1e-4);
  EXPECT_LE(std::stod(json["max_rel_error"]), 2e-2);
}

TEST(Bench, MissingModelIsAnError) {
  auto r = run_wick("bench " + std::string(wick::test_paths::zoo_dir()) + "/no_such_model.pt --input 2x14 --iters 1");
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("no_such_model.pt"), std::string::npos) << r.err;
}

TEST(Bench, InputOfTheWrongShapeIsAnError) {
  auto r = run_wick("bench " + kNn5 + " --input 200x13 --iters 1");
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("13 features but the weight expects 14"), std::string::npos) << r.err;
  auto none = run_wick("bench " + kNn5 + " --iters 1");
  EXPECT_EQ(none.status, 2) << none.err;
  EXPECT_FALSE(none.err.empty());
}

TEST(Bench, BadOptionsAreErrors) {
  for (const char* args : {" --input 2x14 --iters 0", " --input 2x14 --threads x", " --input 2x14 --warmup -1",
                           " --input 2x14 --frobnicate", " --input 2x14 --iters 99999999999",
                           " --input 2x14 --tolerance 0", " --input 2x14 --tolerance 2", " --input 2x14 --tolerance x",
                           " --input 2x14 --tolerance nan"}) {
    SCOPED_TRACE(args);
    auto r = run_wick("bench " + kNn5 + args);
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_NE(r.err.find("usage: wick bench"), std::string::npos) << r.err;
  }
  auto none = run_wick("bench");
  EXPECT_EQ(none.status, 2);
  EXPECT_NE(none.err.find("no model given"), std::string::npos) << none.err;
}

TEST(Bench, MissingPeerPluginIsAPlainMessage) {
  ScopedEnv env("WICK_TORCH_PEER", std::string(wick::test_paths::binary_dir()) + "/lib/no_such_dir/libwick_torch_peer.so");
  auto r = run_wick("bench " + kNn5 + " --input 200x14 --iters 1");
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find(kMissingPeer), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no_such_dir"), std::string::npos) << r.err;
}

TEST(Bench, PeerPluginThatIsNotALibraryIsAPlainMessage) {
  std::string dir = testing::temp_dir("bench_bad_peer");
  testing::write_text(dir + "/libwick_torch_peer.so", "not a shared library\n");
  ScopedEnv env("WICK_TORCH_PEER", dir + "/libwick_torch_peer.so");
  auto r = run_wick("bench " + kNn5 + " --input 200x14 --iters 1");
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find(kMissingPeer), std::string::npos) << r.err;
}

TEST(Bench, PeerPluginIsSeparateFromWick) {
  // The plugin sits in lib/ next to bin/ and is what links LibTorch.
  std::string dir = testing::temp_dir("bench_ldd");
  std::string cmd = std::string("ldd ") + (wick::test_paths::binary_dir() + "/lib/libwick_torch_peer.so > ") + dir + "/ldd.txt";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << "the peer plugin was not built";
  std::ifstream in(dir + "/ldd.txt");
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find("libtorch"), std::string::npos) << text.str();
  EXPECT_EQ(text.str().find("not found"), std::string::npos) << text.str();
}

TEST(BenchStats, MedianAndPercentilesInterpolateLikeNumpy) {
  // numpy.percentile([1..10], [10, 50, 90]) == [1.9, 5.5, 9.1]
  std::vector<double> v = {7, 3, 10, 1, 5, 9, 2, 8, 6, 4};
  tools::Summary s = tools::summarize(v);
  EXPECT_EQ(s.count, 10u);
  EXPECT_DOUBLE_EQ(s.median, 5.5);
  EXPECT_DOUBLE_EQ(s.p10, 1.9);
  EXPECT_DOUBLE_EQ(s.p90, 9.1);
  EXPECT_DOUBLE_EQ(s.min, 1);
  EXPECT_DOUBLE_EQ(s.max, 10);
  EXPECT_DOUBLE_EQ(tools::percentile(v, 0), 1);
  EXPECT_DOUBLE_EQ(tools::percentile(v, 100), 10);
  EXPECT_DOUBLE_EQ(tools::percentile(v, 25), 3.25);
  // An odd count has its middle element as the median.
  EXPECT_DOUBLE_EQ(tools::summarize({4, 1, 100}).median, 4);
  tools::Summary one = tools::summarize({42});
  EXPECT_DOUBLE_EQ(one.median, 42);
  EXPECT_DOUBLE_EQ(one.p10, 42);
  EXPECT_DOUBLE_EQ(one.p90, 42);
}

TEST(BenchStats, EmptySampleIsAnInternalError) {
  EXPECT_THROW(tools::summarize({}), InternalError);
  EXPECT_THROW(tools::percentile({1, 2}, 101), InternalError);
}

}  // namespace
}  // namespace wick
