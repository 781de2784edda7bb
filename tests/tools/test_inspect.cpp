// `wick inspect` on the model zoo and on broken files: every zoo model
// prints IR that parses back; every broken file is a clear error, exit 2.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "cli_runner.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "ir/verifier.h"
#include "test_paths.h"

namespace wick {
namespace {

using testing::run_wick;
namespace fs = std::filesystem;

std::vector<std::string> zoo_models() {
  std::vector<std::string> out;
  if (!fs::exists(wick::test_paths::zoo_dir())) return out;
  for (const auto& e : fs::directory_iterator(wick::test_paths::zoo_dir()))
    if (e.path().extension() == ".pt") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(Inspect, EveryZooModelLoadsVerifiesAndRoundTrips) {
  auto models = zoo_models();
  ASSERT_GE(models.size(), 25u) << "the model zoo in " << wick::test_paths::zoo_dir() << " is missing";
  for (const std::string& m : models) {
    SCOPED_TRACE(m);
    auto r = run_wick("inspect " + m);
    ASSERT_EQ(r.status, 0) << r.err;
    ASSERT_NE(r.out.find("graph @forward("), std::string::npos);
    auto parsed = ir::parse_module(r.out, m + ".wir");
    ir::verify(*parsed);
    EXPECT_EQ(ir::print(*parsed), r.out);
  }
}

TEST(Inspect, ParametersKeepTheirDottedNames) {
  auto r = run_wick(std::string("inspect ") + wick::test_paths::zoo_dir() + "/resnet18.scripted.pt");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("param \"layer1.0.conv1.weight\" : Tensor(f32, [64, 64, 3, 3])"), std::string::npos);
  EXPECT_NE(r.out.find("buffer \"layer1.0.bn1.running_mean\" : Tensor(f32, [64])"), std::string::npos);
  EXPECT_NE(r.out.find("aten::conv2d"), std::string::npos);
}

TEST(Inspect, ControlFlowStaysStructured) {
  auto r = run_wick(std::string("inspect ") + wick::test_paths::zoo_dir() + "/control_flow.scripted.pt");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("prim::If("), std::string::npos);
  EXPECT_NE(r.out.find("prim::Loop("), std::string::npos);
  // self.training is folded: batch-norm's training branch is gone.
  auto bn = run_wick(std::string("inspect ") + wick::test_paths::zoo_dir() + "/cnn_bn.scripted.pt");
  ASSERT_EQ(bn.status, 0) << bn.err;
  EXPECT_EQ(bn.out.find("num_batches_tracked\"()"), std::string::npos);
  EXPECT_NE(bn.out.find("aten::batch_norm"), std::string::npos);
}

TEST(Inspect, MethodOptionPicksAnotherMethod) {
  auto r = run_wick(std::string("inspect ") + wick::test_paths::zoo_dir() + "/transformer_block.scripted.pt --method attn");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("graph @attn("), std::string::npos);
  auto missing = run_wick(std::string("inspect ") + wick::test_paths::zoo_dir() + "/nn5.scripted.pt --method nope");
  EXPECT_EQ(missing.status, 2);
  EXPECT_NE(missing.err.find("has no method 'nope'"), std::string::npos) << missing.err;
}

class BadModels : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = testing::bad_models_dir();
    ASSERT_FALSE(dir_.empty()) << "make_bad_models.py failed";
  }
  // Runs inspect on one broken file: exit 2, the file named, `expected` in the message.
  static std::string expect_error(const std::string& file, const std::string& expected) {
    auto r = run_wick("inspect " + dir_ + "/" + file);
    EXPECT_EQ(r.status, 2) << file << ": " << r.err;
    EXPECT_NE(r.err.find(dir_ + "/" + file), std::string::npos) << "file not named: " << r.err;
    EXPECT_NE(r.err.find(expected), std::string::npos) << "message: " << r.err;
    EXPECT_EQ(r.out, "");
    return r.err;
  }
  static std::string dir_;
};
std::string BadModels::dir_;

TEST_F(BadModels, TruncatedArchive) { expect_error("truncated.pt", "error:"); }
TEST_F(BadModels, RandomBytes) { expect_error("random.pt", "error:"); }
TEST_F(BadModels, EmptyFile) { expect_error("empty.pt", "empty"); }
TEST_F(BadModels, ZipWithoutDataPkl) { expect_error("no_data_pkl.pt", "no data.pkl"); }
TEST_F(BadModels, PickleCallingOsSystem) { expect_error("os_system.pt", "os.system"); }
TEST_F(BadModels, StorageShorterThanItsTensor) { expect_error("short_storage.pt", "bytes"); }
TEST_F(BadModels, SyntaxErrorInCode) {
  std::string err = expect_error("syntax_error.pt", ".py:");
  EXPECT_NE(err.find("def forward(("), std::string::npos) << "the source line is quoted: " << err;
}
TEST_F(BadModels, UnsupportedOpsAreAllListed) {
  std::string err = expect_error("unsupported.pt", "unsupported op");
  EXPECT_NE(err.find("aten::frobnicate"), std::string::npos) << err;
  EXPECT_NE(err.find("aten::wobble"), std::string::npos) << err;
  EXPECT_NE(err.find("torch.frobnicate("), std::string::npos) << "the source line is quoted: " << err;
}
// The unknown op, not what its missing result leads to later (a None
// unpacked in torch's library code), is the error.
TEST_F(BadModels, UnknownOpIsReportedBeforeWhatItLeadsTo) {
  std::string err = expect_error("unknown_packed.pt", "1 unsupported op");
  EXPECT_NE(err.find("aten::frobnicate"), std::string::npos) << err;
  EXPECT_EQ(err.find("cannot unpack"), std::string::npos) << err;
}
TEST_F(BadModels, UnknownOpUnderAConditionIsAPlaceholder) {
  // `if scale is None` decides only once inputs are known: the op the other
  // branch calls stays as a placeholder carrying its error.
  auto r = run_wick("inspect " + dir_ + "/gated_unknown.pt");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("prim::Unsupported[what="), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("aten::frobnicate"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("aten::relu"), std::string::npos) << r.out;
}
TEST_F(BadModels, TensorInAnAttributeThatIsNoModuleTensor) {
  expect_error("tensor_list.pt", "a tensor in a module attribute that is none of the module's parameters or buffers");
}
TEST_F(BadModels, ListOfTorchScriptClassObjectsIsRefused) {
  expect_error("script_class.pt", "an object of class __torch__.Pair cannot be used as a value");
}
TEST_F(BadModels, DictKeysMustBeKnownWhenCompiling) {
  expect_error("runtime_keys.pt", "dict keys must be strings or ints known when compiling");
}
TEST_F(BadModels, WriteIntoAnExpandedTensor) {
  std::string err = expect_error("expanded_write.pt", "a write into an expanded tensor");
  EXPECT_NE(err.find("aten::expand"), std::string::npos) << "the op is named: " << err;
  EXPECT_NE(err.find("torch.add_(rows, 1.)"), std::string::npos) << "the source line is quoted: " << err;
}
TEST_F(BadModels, InPlaceFloatResultIntoAnIntTensor) {
  expect_error("int_write_float.pt", "result type f32 can't be cast to the desired output type i64");
}
TEST_F(BadModels, MissingFile) {
  auto r = run_wick("inspect " + dir_ + "/does_not_exist.pt");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("does_not_exist.pt"), std::string::npos) << r.err;
}

TEST(Inspect, WickLinksNeitherLibTorchNorPython) {
  auto r = testing::run_tool("wick", "--version");
  ASSERT_EQ(r.status, 0);
  std::string dir = testing::temp_dir("ldd");
  std::string cmd = std::string("ldd ") + (wick::test_paths::binary_dir() + "/bin/wick > ") + dir + "/ldd.txt";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::ifstream in(dir + "/ldd.txt");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_NE(text.find("libc.so"), std::string::npos) << text;
  for (const char* lib : {"libtorch", "libc10", "libpython", "libtorch_cpu"})
    EXPECT_EQ(text.find(lib), std::string::npos) << "wick links " << lib << ":\n" << text;
}

}  // namespace
}  // namespace wick
