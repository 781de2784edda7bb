// `wick train`: the CSV table reader (every malformed-file case names the
// file, line and column), batching and shuffling, and the command end to end
// on the zoo's nn5 and mlp_relu: the per-epoch losses equal LibTorch's
// torch.optim training on the same batches from the same weights, and the
// written model loads in LibTorch and predicts what wick predicts. The same
// for .npy data (images into the zoo's CNN, token ids into its embedding
// classifier), with every malformed array refused.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include "cli_runner.h"
#include "runtime/npy.h"
#include "support/error.h"
#include "tools/csv_table.h"
#include "tools/train_batches.h"
#include "test_paths.h"

namespace wick {
namespace {

using tools::CsvOptions;
using tools::CsvTable;
using tools::parse_csv;
using tools::read_csv;

// ---------------------------------------------------------------- the reader

CsvOptions targets(std::vector<std::string> t, bool classes = false) {
  CsvOptions o;
  o.targets = std::move(t);
  o.class_targets = classes;
  return o;
}

TEST(CsvTable, ReadsHeaderAndRowsRowMajor) {
  CsvTable t = parse_csv("a,b,c\n1,2,3\n4.5,-5e-1,6\n", "t.csv", targets({"2"}));
  EXPECT_EQ(t.names, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(t.rows, 2);
  EXPECT_EQ(t.values, (std::vector<float>{1, 2, 3, 4.5f, -0.5f, 6}));
  EXPECT_EQ(t.targets, (std::vector<int64_t>{2}));
  EXPECT_EQ(t.feature_columns(), (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(t.column_str(1), "column 'b' (1)");
}

TEST(CsvTable, AcceptsQuotesCrlfSpacesBomAndTrailingEmptyLines) {
  CsvTable t = parse_csv("\xEF\xBB\xBF \"x, one\" ,\"say \"\"hi\"\"\",\t z\r\n 1 , \"2\" ,3\t\r\n4,5,6\r\n\r\n  \n\n",
                         "q.csv", targets({"z"}));
  EXPECT_EQ(t.names, (std::vector<std::string>{"x, one", "say \"hi\"", "z"}));
  EXPECT_EQ(t.rows, 2);
  EXPECT_EQ(t.values, (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(t.targets, (std::vector<int64_t>{2}));
  // No final line end at all is fine too.
  EXPECT_EQ(parse_csv("a\n7", "n.csv").values, (std::vector<float>{7}));
}

TEST(CsvTable, TargetsByIndexOrNameInTheOrderGiven) {
  CsvTable t = parse_csv("a,b,c,d\n1,2,3,4\n", "t.csv", targets({"d", "1"}));
  EXPECT_EQ(t.targets, (std::vector<int64_t>{3, 1}));
  EXPECT_EQ(t.feature_columns(), (std::vector<int64_t>{0, 2}));
}

TEST(CsvTable, FeaturesMayBeNanOrInfinite) {
  CsvTable t = parse_csv("a,b,y\nnan,NA,1\ninf,-inf,2\n", "t.csv", targets({"y"}));
  EXPECT_TRUE(std::isnan(t.at(0, 0)));
  EXPECT_TRUE(std::isnan(t.at(0, 1)));
  EXPECT_EQ(t.at(1, 0), INFINITY);
  EXPECT_EQ(t.at(1, 1), -INFINITY);
  // Values below float32's range round to zero or a subnormal; only overflow is refused.
  EXPECT_EQ(parse_csv("a\n1e-60\n", "t.csv").values[0], 0.0f);
}

TEST(CsvTable, ClassTargetsAreNonNegativeIntegers) {
  CsvTable t = parse_csv("x,label\n0.5,0\n0.25,9\n", "t.csv", targets({"1"}, true));
  EXPECT_EQ(t.at(1, 1), 9.0f);
}

struct BadCsv {
  const char* name;
  const char* text;
  std::vector<std::string> targets;
  bool classes;
  int line;              // expected line in the error; 0 when none
  const char* contains;  // part of the message
};

void PrintTo(const BadCsv& c, std::ostream* os) { *os << c.name; }

class CsvErrors : public ::testing::TestWithParam<BadCsv> {};

TEST_P(CsvErrors, NameTheFileLineAndColumn) {
  const BadCsv& c = GetParam();
  try {
    parse_csv(c.text, "data.csv", targets(c.targets, c.classes));
    FAIL() << "no error for " << c.name;
  } catch (const Error& e) {
    EXPECT_EQ(e.where().file, "data.csv") << e.what();
    EXPECT_EQ(e.where().line, c.line) << e.what();
    EXPECT_NE(std::string(e.what()).find(c.contains), std::string::npos) << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, CsvErrors,
    ::testing::Values(
        BadCsv{"non_numeric", "id,w,h,age\n1,2,3,4\n1,2,3,4\n5,6,7,abc\n", {"0"}, false, 4,
               "column 'age' (3): 'abc' is not a number"},
        BadCsv{"numeric_prefix", "a,b\n1,2x\n", {}, false, 2, "column 'b' (1): '2x' is not a number"},
        BadCsv{"empty_cell", "a,b\n1,\n", {}, false, 2, "column 'b' (1): the cell is empty"},
        BadCsv{"too_few_cells", "a,b,c\n1,2,3\n1,2\n", {}, false, 3, "the row has 2 cells but the header has 3 columns"},
        BadCsv{"too_many_cells", "a,b\n1,2,3\n", {}, false, 2, "the row has 3 cells but the header has 2 columns"},
        BadCsv{"empty_file", "", {}, false, 0, "the file is empty"},
        BadCsv{"blank_file", "\n  \r\n\n", {}, false, 0, "the file is empty"},
        BadCsv{"empty_first_line", "\na,b\n1,2\n", {}, false, 1, "the first line is empty"},
        BadCsv{"header_only", "a,b\n", {}, false, 0, "a header row but no data rows"},
        BadCsv{"header_then_blank", "a,b\r\n\r\n\r\n", {}, false, 0, "a header row but no data rows"},
        BadCsv{"blank_line_inside", "a,b\n1,2\n\n3,4\n", {}, false, 3, "line 3 is empty but rows follow it"},
        BadCsv{"target_index_missing", "a,b\n1,2\n", {"2"}, false, 0,
               "target column 2 does not exist: the file has 2 columns (0 to 1)"},
        BadCsv{"target_name_missing", "a,b\n1,2\n", {"price"}, false, 0, "no column named 'price'"},
        BadCsv{"target_twice", "a,b\n1,2\n", {"1", "b"}, false, 0, "target column 'b' (1) is given twice"},
        BadCsv{"nan_target", "a,y\n1,2\n3,nan\n", {"1"}, false, 3, "column 'y' (1): the target is 'nan'"},
        BadCsv{"na_target", "a,y\n1,NA\n", {"y"}, false, 2, "column 'y' (1): the target is 'NA'"},
        BadCsv{"inf_target", "a,y\n1,-inf\n", {"1"}, false, 2, "column 'y' (1): the target is '-inf'"},
        BadCsv{"overflow_float32", "a,b\n1,1e39\n", {}, false, 2, "column 'b' (1): '1e39' overflows float32"},
        BadCsv{"overflow_double", "a,b\n1e400,1\n", {}, false, 2, "column 'a' (0): '1e400' overflows float32"},
        BadCsv{"unterminated_quote", "\"a,b\n1,2\n", {}, false, 1, "has no closing quote"},
        BadCsv{"text_after_quote", "a,\"b\"c\n1,2\n", {}, false, 1, "text after its closing quote"},
        BadCsv{"fractional_class", "x,c\n1,0\n1,2.5\n", {"1"}, true, 3, "column 'c' (1): the class index '2.5'"},
        BadCsv{"negative_class", "x,c\n1,-1\n", {"1"}, true, 2, "column 'c' (1): the class index '-1'"},
        BadCsv{"binary_bytes", "a,b\n1,\x01\x02\n", {}, false, 2, "'\\x01\\x02' is not a number"}),
    [](const ::testing::TestParamInfo<BadCsv>& info) { return std::string(info.param.name); });

TEST(CsvTable, MissingFileNamesIt) {
  try {
    read_csv("/nonexistent/dir/data.csv");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.where().file, "/nonexistent/dir/data.csv");
    EXPECT_NE(std::string(e.what()).find("cannot open"), std::string::npos) << e.what();
  }
}

TEST(CsvTable, DirectoryIsAnErrorNotACrash) {
  std::string dir = testing::temp_dir("csv_dir");
  try {
    read_csv(dir);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("is a directory"), std::string::npos) << e.what();
  }
}

TEST(CsvTable, LongLinesAndHugeTablesAreRefusedWithoutReadingThemWhole) {
  CsvOptions o;
  o.max_line_bytes = 64;
  try {
    parse_csv("a,b\n" + std::string(1000, '1') + ",2\n", "long.csv", o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.where().line, 2) << e.what();
    EXPECT_NE(std::string(e.what()).find("longer than 64 bytes"), std::string::npos) << e.what();
  }
  o = CsvOptions{};
  o.max_table_bytes = 3 * 2 * sizeof(float);  // three rows of two columns
  EXPECT_EQ(parse_csv("a,b\n1,2\n3,4\n5,6\n", "ok.csv", o).rows, 3);
  try {
    parse_csv("a,b\n1,2\n3,4\n5,6\n7,8\n", "big.csv", o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.where().line, 5) << e.what();
    EXPECT_NE(std::string(e.what()).find("the table is larger than"), std::string::npos) << e.what();
  }
}

// Twenty-odd MiB across many 1 MiB read chunks: lines cut by chunk edges join
// up, and every value comes back.
TEST(CsvTable, LargeFileIsStreamedExactly) {
  std::string path = testing::temp_dir("csv_large") + "/large.csv";
  const int64_t rows = 300000, cols = 8;
  {
    std::ofstream out(path, std::ios::binary);
    out << "c0,c1,c2,c3,c4,c5,c6,c7\r\n";
    char buf[64];
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) {
        std::snprintf(buf, sizeof buf, "%.6f%s", static_cast<double>(r) + c * 0.125, c + 1 < cols ? ", " : "\r\n");
        out << buf;
      }
  }
  ASSERT_GT(std::filesystem::file_size(path), uint64_t{20} << 20);
  CsvTable t = read_csv(path, targets({"7"}));
  ASSERT_EQ(t.rows, rows);
  for (int64_t r : {int64_t{0}, int64_t{1}, int64_t{12345}, int64_t{99999}, rows - 1})
    for (int64_t c = 0; c < cols; ++c)
      ASSERT_EQ(t.at(r, c), static_cast<float>(static_cast<double>(r) + c * 0.125)) << r << "," << c;
  std::filesystem::remove(path);
}

// ---------------------------------------------------------------- batches

TEST(TrainBatches, ShuffleIsAPermutationFixedBySeed) {
  std::mt19937_64 a(1), b(1), c(2);
  auto pa = tools::shuffled_rows(1000, a), pb = tools::shuffled_rows(1000, b), pc = tools::shuffled_rows(1000, c);
  EXPECT_EQ(pa, pb);
  EXPECT_NE(pa, pc);
  EXPECT_EQ(std::set<int64_t>(pa.begin(), pa.end()).size(), 1000u);
  EXPECT_EQ(*std::min_element(pa.begin(), pa.end()), 0);
  EXPECT_EQ(*std::max_element(pa.begin(), pa.end()), 999);
  // The next epoch draws a different order from the same stream.
  EXPECT_NE(tools::shuffled_rows(1000, a), pa);
}

TEST(TrainBatches, GathersFeaturesAndTargetsOfTheChosenRows) {
  CsvTable t = parse_csv("a,y,b,z\n1,10,2,20\n3,30,4,40\n5,50,6,60\n", "t.csv", targets({"3", "1"}));
  const int64_t rows[] = {2, 0};
  tools::Batch b = tools::gather_batch(t, t.feature_columns(), rows, 2, false);
  ASSERT_EQ(b.features.sizes(), (std::vector<int64_t>{2, 2}));
  ASSERT_EQ(b.targets.sizes(), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(std::vector<float>(b.features.data_as<float>(), b.features.data_as<float>() + 4),
            (std::vector<float>{5, 6, 1, 2}));
  EXPECT_EQ(std::vector<float>(b.targets.data_as<float>(), b.targets.data_as<float>() + 4),
            (std::vector<float>{60, 50, 20, 10}));

  CsvTable c = parse_csv("x,label\n0.5,3\n0.25,7\n", "c.csv", targets({"label"}, true));
  const int64_t both[] = {0, 1};
  tools::Batch cb = tools::gather_batch(c, c.feature_columns(), both, 2, true);
  ASSERT_EQ(cb.targets.dtype(), DType::i64);
  ASSERT_EQ(cb.targets.sizes(), (std::vector<int64_t>{2}));
  EXPECT_EQ(cb.targets.data_as<int64_t>()[0], 3);
  EXPECT_EQ(cb.targets.data_as<int64_t>()[1], 7);
}

// ---------------------------------------------------------------- the command

const std::string kNn5 = std::string(wick::test_paths::zoo_dir()) + "/nn5.scripted.pt";
const std::string kMlp = std::string(wick::test_paths::zoo_dir()) + "/mlp_relu.scripted.pt";
const std::string kReference = std::string(wick::test_paths::source_dir()) + "/tests/tools/train_reference.py";

struct Captured {
  int status = -1;
  std::string out;
};

Captured capture(const std::string& cmd) {
  Captured c;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return c;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) c.out.append(buf, n);
  int raw = pclose(p);
  c.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  return c;
}

std::vector<double> numbers(const std::string& text) {
  std::vector<double> v;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) v.push_back(std::stod(line));
  return v;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// `rows` rows of `features` standard-normal features and one target, a fixed
// random linear function of them plus noise; or, with `classes`, the argmax
// of `classes` such functions as a class index, or with `soft` their softmax
// as one probability column per class.
void write_dataset(const std::string& path, int rows, int features, uint64_t seed, int classes = 0,
                   bool soft = false) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const int outputs = classes ? classes : 1;
  std::vector<float> w(static_cast<size_t>(features * outputs));
  std::mt19937_64 wrng(42);  // the function is the same for every file
  for (float& x : w) x = normal(wrng) * 0.25f;
  std::ofstream out(path, std::ios::binary);
  for (int j = 0; j < features; ++j) out << "x" << j << ",";
  if (soft)
    for (int k = 0; k < classes; ++k) out << (k ? ",p" : "p") << k;
  else
    out << (classes ? "label" : "y");
  out << "\n";
  char buf[32];
  std::vector<float> x(static_cast<size_t>(features));
  for (int r = 0; r < rows; ++r) {
    for (int j = 0; j < features; ++j) {
      x[static_cast<size_t>(j)] = normal(rng);
      std::snprintf(buf, sizeof buf, "%.9g,", x[static_cast<size_t>(j)]);
      out << buf;
    }
    std::vector<float> y(static_cast<size_t>(outputs), 0.0f);
    for (int k = 0; k < outputs; ++k)
      for (int j = 0; j < features; ++j) y[static_cast<size_t>(k)] += w[static_cast<size_t>(k * features + j)] * x[static_cast<size_t>(j)];
    if (soft) {
      float top = *std::max_element(y.begin(), y.end()), sum = 0;
      for (float& v : y) sum += (v = std::exp(v - top));
      for (int k = 0; k < classes; ++k) {
        std::snprintf(buf, sizeof buf, "%s%.9g", k ? "," : "", y[static_cast<size_t>(k)] / sum);
        out << buf;
      }
      out << "\n";
    } else if (classes) {
      out << std::max_element(y.begin(), y.end()) - y.begin() << "\n";
    } else {
      std::snprintf(buf, sizeof buf, "%.9g\n", y[0] + 0.5f + 0.1f * normal(rng));
      out << buf;
    }
  }
}

struct History {
  std::string header;
  std::vector<std::vector<double>> rows;  // epoch, train_loss[, valid_loss]
};

History read_history(const std::string& path) {
  History h;
  std::istringstream in(slurp(path));
  std::getline(in, h.header);
  for (std::string line; std::getline(in, line);) {
    std::vector<double> row;
    std::istringstream cells(line);
    for (std::string cell; std::getline(cells, cell, ',');) row.push_back(std::stod(cell));
    h.rows.push_back(row);
  }
  return h;
}

double rel_diff(double a, double b) { return std::abs(a - b) / std::max(std::abs(b), 1e-12); }

class TrainCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(testing::temp_dir("train_cli"));
    write_dataset(*dir_ + "/train.csv", 1000, 14, 1);
    write_dataset(*dir_ + "/valid.csv", 300, 14, 2);
    write_dataset(*dir_ + "/classes.csv", 640, 32, 3, 10);
    write_dataset(*dir_ + "/soft.csv", 320, 32, 4, 10, true);
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }
  static std::string path(const std::string& name) { return *dir_ + "/" + name; }

  // Trains with `flags` and with LibTorch's reference, and compares the
  // per-epoch losses; returns wick's history. `target` names the CSV's
  // target columns, or the targets' .npy for .npy data.
  History train_against_libtorch(const std::string& model, const std::string& data, const std::string& target,
                                 const std::string& flags, int epochs, const std::string& tag) {
    const bool npy = target.size() > 4 && target.substr(target.size() - 4) == ".npy";
    const std::string common =
        (npy ? " --target " : " --target-cols ") + target + " --epochs " + std::to_string(epochs) + " " + flags;
    auto r = testing::run_wick("train " + model + " --data " + data + common + " --history " + path(tag + ".history.csv") +
                               " -o " + path(tag + ".pt"));
    EXPECT_EQ(r.status, 0) << r.err;
    History h = read_history(path(tag + ".history.csv"));
    Captured ref = capture("/usr/bin/python3 " + kReference + " train " + model + " " + data + common);
    EXPECT_EQ(ref.status, 0) << ref.out;
    std::vector<double> expected = numbers(ref.out);
    EXPECT_EQ(h.rows.size(), static_cast<size_t>(epochs));
    EXPECT_EQ(expected.size(), static_cast<size_t>(epochs)) << ref.out;
    for (size_t e = 0; e < h.rows.size() && e < expected.size(); ++e)
      EXPECT_LE(rel_diff(h.rows[e][1], expected[e]), 1e-3)
          << tag << " epoch " << e + 1 << ": wick " << h.rows[e][1] << ", LibTorch " << expected[e];
    return h;
  }

  static std::string* dir_;
};
std::string* TrainCli::dir_ = nullptr;

TEST_F(TrainCli, Nn5SgdMatchesLibTorchAndTheModelLoadsThere) {
  History h = train_against_libtorch(kNn5, path("train.csv"), "14", "--batch-size 200 --lr 0.05", 3, "sgd");
  EXPECT_EQ(h.header, "epoch,train_loss");
  ASSERT_EQ(h.rows.size(), 3u);
  for (size_t e = 0; e < 3; ++e) {
    EXPECT_EQ(h.rows[e].size(), 2u);
    EXPECT_EQ(h.rows[e][0], static_cast<double>(e + 1));
    EXPECT_TRUE(std::isfinite(h.rows[e][1]));
  }
  EXPECT_LT(h.rows[2][1], h.rows[0][1]) << "the loss did not go down on a learnable problem";

  // The trained model predicts the same in LibTorch as in wick, on fresh inputs.
  std::string x = path("x.npy"), ref = path("ref.npy"), out = path("pred");
  std::random_device seed;
  ASSERT_EQ(std::system(("/usr/bin/python3 -c \"import numpy as np; np.save('" + x +
                         "', np.random.default_rng(" + std::to_string(seed()) +
                         ").standard_normal((37, 14)).astype(np.float32))\"")
                            .c_str()),
            0);
  Captured p = capture("/usr/bin/python3 " + kReference + " predict " + path("sgd.pt") + " " + x + " " + ref + " 2>&1");
  ASSERT_EQ(p.status, 0) << p.out;
  auto r = testing::run_wick("run " + path("sgd.pt") + " --input " + x + " --output-dir " + out);
  ASSERT_EQ(r.status, 0) << r.err;
  Tensor a = read_npy(out + "/output0.npy"), b = read_npy(ref);
  ASSERT_EQ(a.sizes(), (std::vector<int64_t>{37, 1}));
  ASSERT_EQ(b.sizes(), a.sizes());
  double max_diff = 0, max_ref = 0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    max_diff = std::max(max_diff, static_cast<double>(std::abs(a.data_as<float>()[i] - b.data_as<float>()[i])));
    max_ref = std::max(max_ref, static_cast<double>(std::abs(b.data_as<float>()[i])));
  }
  EXPECT_LE(max_diff / max_ref, 1e-4) << "max |wick - LibTorch| = " << max_diff;

  // And the trained weights differ from the initial ones.
  Captured init = capture("/usr/bin/python3 " + kReference + " predict " + kNn5 + " " + x + " " + path("init.npy"));
  ASSERT_EQ(init.status, 0);
  EXPECT_NE(slurp(path("init.npy")), slurp(ref));
}

TEST_F(TrainCli, Nn5MomentumAndWeightDecayMatchLibTorch) {
  train_against_libtorch(kNn5, path("train.csv"), "14",
                         "--batch-size 128 --lr 0.02 --momentum 0.9 --weight-decay 0.01", 2, "momentum");
}

TEST_F(TrainCli, Nn5AdamMatchesLibTorch) {
  train_against_libtorch(kNn5, path("train.csv"), "14", "--optim adam --lr 0.01 --batch-size 200", 2, "adam");
}

TEST_F(TrainCli, MlpCrossEntropyMatchesLibTorch) {
  History h = train_against_libtorch(kMlp, path("classes.csv"), "32", "--loss cross_entropy --batch-size 64 --lr 0.1",
                                     3, "ce");
  ASSERT_EQ(h.rows.size(), 3u);
  EXPECT_LT(h.rows[2][1], h.rows[0][1]);
}

// --loss output: the model's forward(x, y) returns its own loss, here
// mean |Wx + b - y|^1.5, which no --loss names.
TEST_F(TrainCli, OwnLossMatchesLibTorch) {
  const std::string model = path("power_loss.pt");
  std::ofstream(path("power_loss.py")) << "import torch\n"
                                          "class M(torch.nn.Module):\n"
                                          "  def __init__(self):\n"
                                          "    super().__init__()\n"
                                          "    self.lin = torch.nn.Linear(14, 1)\n"
                                          "  def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:\n"
                                          "    return (self.lin(x) - y).abs().pow(1.5).mean()\n"
                                          "torch.manual_seed(3)\n"
                                          "torch.jit.script(M()).save('" << model << "')\n";
  Captured made = capture("/usr/bin/python3 " + path("power_loss.py") + " 2>&1");
  ASSERT_EQ(made.status, 0) << made.out;
  History h = train_against_libtorch(model, path("train.csv"), "14", "--loss output --batch-size 100 --lr 0.05", 3,
                                     "own");
  ASSERT_EQ(h.rows.size(), 3u);
  EXPECT_LT(h.rows[2][1], h.rows[0][1]);
}

// Models with control flow (tests/tools/make_control_flow_models.py).
class TrainCliControlFlow : public TrainCli {
 protected:
  static void SetUpTestSuite() {
    TrainCli::SetUpTestSuite();
    Captured made = capture("/usr/bin/python3 " + std::string(wick::test_paths::source_dir()) +
                            "/tests/tools/make_control_flow_models.py " + path("") + " 14 2>&1");
    if (made.status != 0) std::fprintf(stderr, "make_control_flow_models.py failed:\n%s", made.out.c_str());
  }
};

// An if on a tensor condition: each batch's mean picks the branch, so the
// epochs mix steps through both and their parameters.
TEST_F(TrainCliControlFlow, DataDependentIfMatchesLibTorch) {
  const std::string model = path("gated.pt");
  ASSERT_TRUE(std::filesystem::exists(model));
  train_against_libtorch(model, path("train.csv"), "14", "--batch-size 50 --lr 0.05 --momentum 0.9 --weight-decay 0.01", 2,
                         "gated_sgd");
  train_against_libtorch(model, path("train.csv"), "14", "--optim adam --lr 0.01 --batch-size 50", 2, "gated_adam");
}

// A while loop that runs as long as the data says: no step can unroll it,
// so training is refused, naming the loop's source line; exit 2.
TEST_F(TrainCliControlFlow, DataDependentLoopIsRefused) {
  const std::string model = path("halving.pt");
  ASSERT_TRUE(std::filesystem::exists(model));
  auto r = testing::run_wick("train " + model + " --data " + path("train.csv") + " --target-cols 14 --epochs 1 -o " +
                             path("halving.trained.pt"));
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("cannot differentiate through a loop whose trip count is known only at run time"),
            std::string::npos)
      << r.err;
  // The file, the op and the line of the saved TorchScript code.
  EXPECT_NE(r.err.find("halving.pt:code/__torch__.py:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("in prim::Loop"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("    while "), std::string::npos) << "the loop's source line\n" << r.err;
  EXPECT_FALSE(std::filesystem::exists(path("halving.trained.pt")));
}

// A loop of 100 trips, unrolled by the training step.
TEST_F(TrainCliControlFlow, LongLoopMatchesLibTorch) {
  const std::string model = path("recurrent.pt");
  ASSERT_TRUE(std::filesystem::exists(model));
  train_against_libtorch(model, path("train.csv"), "14", "--optim adam --lr 0.01 --batch-size 100", 2, "recurrent_adam");
}

TEST_F(TrainCli, MlpCrossEntropyOnClassProbabilitiesMatchesLibTorch) {
  train_against_libtorch(kMlp, path("soft.csv"), "32,33,34,35,36,37,38,39,40,41",
                         "--loss cross_entropy --optim adamw --lr 0.01 --weight-decay 0.1 --batch-size 50", 2, "soft");
}

TEST_F(TrainCli, ValidAddsTheEvalLossOfTheWholeSet) {
  auto r = testing::run_wick("train " + kNn5 + " --data " + path("train.csv") + " --valid " + path("valid.csv") +
                             " --target-cols y --epochs 2 --batch-size 64 --lr 0.05 --history " + path("hv.csv") +
                             " -o " + path("v.pt"));
  ASSERT_EQ(r.status, 0) << r.err;
  History h = read_history(path("hv.csv"));
  EXPECT_EQ(h.header, "epoch,train_loss,valid_loss");
  ASSERT_EQ(h.rows.size(), 2u);
  for (const auto& row : h.rows) {
    ASSERT_EQ(row.size(), 3u);
    EXPECT_TRUE(std::isfinite(row[2]));
  }
  EXPECT_NE(r.out.find("valid_loss"), std::string::npos) << r.out;
  // The last epoch's valid_loss is the saved model's loss on the whole set.
  Captured ref = capture("/usr/bin/python3 " + kReference + " evaluate " + path("v.pt") + " " + path("valid.csv") +
                         " --target-cols 14");
  ASSERT_EQ(ref.status, 0) << ref.out;
  EXPECT_LE(rel_diff(h.rows[1][2], std::stod(ref.out)), 1e-4) << "wick " << h.rows[1][2] << ", LibTorch " << ref.out;
}

TEST_F(TrainCli, ShuffleIsReproducibleBySeed) {
  auto train = [&](const std::string& flags, const std::string& tag) {
    auto r = testing::run_wick("train " + kNn5 + " --data " + path("train.csv") +
                               " --target-cols 14 --epochs 2 --batch-size 100 --lr 0.05 " + flags + " --history " +
                               path(tag) + " -o " + path(tag + ".pt"));
    EXPECT_EQ(r.status, 0) << r.err;
    return slurp(path(tag));
  };
  std::string a = train("--shuffle --seed 1", "s1a.csv"), b = train("--shuffle --seed 1", "s1b.csv");
  std::string c = train("--shuffle --seed 2", "s2.csv");
  EXPECT_EQ(read_history(path("s1a.csv")).rows.size(), 2u);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  // Without --shuffle the batches are in file order, which the seed does not change.
  EXPECT_EQ(train("--seed 1", "n1.csv"), train("--seed 2", "n2.csv"));
}

TEST_F(TrainCli, PrintsOneLinePerEpochWhenStderrIsNotATerminal) {
  auto r = testing::run_wick("train " + kNn5 + " --data " + path("train.csv") +
                             " --target-cols 14 --epochs 2 --batch-size 500 --lr 0.05 --threads 2 -o " + path("p.pt"));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("epoch 1/2  train_loss "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("epoch 2/2  train_loss "), std::string::npos) << r.out;
  EXPECT_EQ(r.err.find('\r'), std::string::npos) << "a progress bar was drawn on a non-terminal";
  EXPECT_TRUE(std::filesystem::exists(path("p.pt")));
}

// ---------------------------------------------------------------- .npy data

const std::string kCnn = std::string(wick::test_paths::zoo_dir()) + "/cnn_bn.scripted.pt";
const std::string kEmbedding = std::string(wick::test_paths::zoo_dir()) + "/embedding_classifier.scripted.pt";

// Fresh random arrays: standard-normal f32, or integers in [0, bound).
Tensor normal_array(std::vector<int64_t> sizes, std::mt19937_64& rng) {
  Tensor t = Tensor::empty(DType::f32, std::move(sizes));
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (int64_t i = 0; i < t.numel(); ++i) t.data_as<float>()[i] = normal(rng);
  return t;
}

Tensor index_array(DType dtype, std::vector<int64_t> sizes, int64_t bound, std::mt19937_64& rng) {
  Tensor t = Tensor::empty(dtype, std::move(sizes));
  std::uniform_int_distribution<int64_t> draw(0, bound - 1);
  for (int64_t i = 0; i < t.numel(); ++i) {
    if (dtype == DType::i64) t.data_as<int64_t>()[i] = draw(rng);
    else t.data_as<int32_t>()[i] = static_cast<int32_t>(draw(rng));
  }
  return t;
}

class TrainCliNpy : public TrainCli {
 protected:
  static std::mt19937_64 fresh() { return std::mt19937_64(std::random_device{}()); }
};

// Images: a batch-norm CNN on f32 [N, 3, 32, 32] with i64 class indices,
// and a validation set whose last valid_loss is LibTorch's eval-mode loss of
// the saved model.
TEST_F(TrainCliNpy, ImagesMatchLibTorchWithValidation) {
  auto rng = fresh();
  write_npy(path("img_x.npy"), normal_array({40, 3, 32, 32}, rng));
  write_npy(path("img_y.npy"), index_array(DType::i64, {40}, 10, rng));
  write_npy(path("img_vx.npy"), normal_array({12, 3, 32, 32}, rng));
  write_npy(path("img_vy.npy"), index_array(DType::i64, {12}, 10, rng));
  History h = train_against_libtorch(kCnn, path("img_x.npy"), path("img_y.npy"),
                                     "--loss cross_entropy --batch-size 8 --lr 0.01 --momentum 0.9 "
                                     "--weight-decay 1e-4",
                                     2, "img");
  auto r = testing::run_wick("train " + kCnn + " --data " + path("img_x.npy") + " --target " + path("img_y.npy") +
                             " --valid " + path("img_vx.npy") + " --valid-target " + path("img_vy.npy") +
                             " --loss cross_entropy --batch-size 8 --epochs 2 --lr 0.01 --history " +
                             path("img_v.csv") + " -o " + path("img_v.pt"));
  ASSERT_EQ(r.status, 0) << r.err;
  History hv = read_history(path("img_v.csv"));
  EXPECT_EQ(hv.header, "epoch,train_loss,valid_loss");
  ASSERT_EQ(hv.rows.size(), 2u);
  ASSERT_EQ(hv.rows[1].size(), 3u);
  Captured ref = capture("/usr/bin/python3 " + kReference + " evaluate " + path("img_v.pt") + " " +
                         path("img_vx.npy") + " --target " + path("img_vy.npy") + " --loss cross_entropy");
  ASSERT_EQ(ref.status, 0) << ref.out;
  EXPECT_LE(rel_diff(hv.rows[1][2], std::stod(ref.out)), 1e-4) << "wick " << hv.rows[1][2] << ", LibTorch " << ref.out;
}

// Token ids: i64 features into an embedding, i32 class indices, Adam.
TEST_F(TrainCliNpy, TokenIdsMatchLibTorch) {
  auto rng = fresh();
  write_npy(path("tok_x.npy"), index_array(DType::i64, {64, 16}, 1000, rng));
  write_npy(path("tok_y.npy"), index_array(DType::i32, {64}, 5, rng));
  train_against_libtorch(kEmbedding, path("tok_x.npy"), path("tok_y.npy"),
                         "--loss cross_entropy --optim adam --lr 0.01 --batch-size 16", 2, "tok");
}

// f32 targets: regression as from a CSV.
TEST_F(TrainCliNpy, RegressionTargetsMatchLibTorch) {
  auto rng = fresh();
  write_npy(path("reg_x.npy"), normal_array({150, 14}, rng));
  write_npy(path("reg_y.npy"), normal_array({150, 1}, rng));
  train_against_libtorch(kNn5, path("reg_x.npy"), path("reg_y.npy"), "--batch-size 64 --lr 0.05", 2, "reg");
}

struct BadNpy {
  const char* name;
  const char* model;  // "nn5" or "mlp" (10 classes from 32 features)
  DType x_dtype;
  std::vector<int64_t> x_sizes;
  DType y_dtype;
  std::vector<int64_t> y_sizes;
  int64_t poke_at;      // >= 0: this element of Y becomes poke_value
  double poke_value;
  const char* flags;    // after the data flags; VALID_X, VALID_Y and NOT_NPY stand for files made here
  const char* message;  // part of stderr
};

void PrintTo(const BadNpy& c, std::ostream* os) { *os << c.name; }

class TrainCliNpyBad : public TrainCli, public ::testing::WithParamInterface<BadNpy> {};

Tensor filled(DType dtype, const std::vector<int64_t>& sizes) {
  Tensor t = Tensor::zeros(dtype, sizes);
  if (dtype == DType::f32)
    for (int64_t i = 0; i < t.numel(); ++i) t.data_as<float>()[i] = 0.5f;
  return t;
}

TEST_P(TrainCliNpyBad, ExitsTwoNamingTheArray) {
  const BadNpy& c = GetParam();
  const std::string x = path(std::string(c.name) + ".x.npy"), y = path(std::string(c.name) + ".y.npy");
  write_npy(x, filled(c.x_dtype, c.x_sizes));
  Tensor yt = filled(c.y_dtype, c.y_sizes);
  if (c.poke_at >= 0) {
    if (c.y_dtype == DType::f32) yt.data_as<float>()[c.poke_at] = static_cast<float>(c.poke_value);
    else if (c.y_dtype == DType::i64) yt.data_as<int64_t>()[c.poke_at] = static_cast<int64_t>(c.poke_value);
  }
  write_npy(y, yt);
  write_npy(path("valid_x.npy"), filled(DType::f32, {4, 13}));
  write_npy(path("valid_y.npy"), filled(DType::f32, {4, 1}));
  testing::write_text(path("not_npy.npy"), "this is not an array\n");
  std::string flags = c.flags;
  for (auto [key, file] : {std::pair<std::string, std::string>{"VALID_X", path("valid_x.npy")},
                           {"VALID_Y", path("valid_y.npy")},
                           {"NOT_NPY", path("not_npy.npy")}})
    if (auto at = flags.find(key); at != std::string::npos) flags.replace(at, key.size(), file);
  std::string out = path(std::string(c.name) + ".pt");
  const std::string model = std::string(c.model) == "mlp" ? kMlp : kNn5;
  auto r = testing::run_wick("train " + model + " --data " + x + " --target " + y + " -o " + out + " " + flags);
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(out)) << "a model was written despite the error";
}

INSTANTIATE_TEST_SUITE_P(
    Cases, TrainCliNpyBad,
    ::testing::Values(
        BadNpy{"example_counts_differ", "nn5", DType::f32, {10, 14}, DType::f32, {9, 1}, -1, 0, "",
               ".y.npy: error: the targets f32[9, 1] hold 9 examples but the features f32[10, 14]"},
        BadNpy{"integer_targets_for_mse", "nn5", DType::f32, {10, 14}, DType::i64, {10}, -1, 0, "",
               "are class indices, which only the cross_entropy loss takes"},
        BadNpy{"class_indices_not_a_vector", "mlp", DType::f32, {10, 32}, DType::i64, {10, 1}, -1, 0,
               "--loss cross_entropy", "class indices must be a vector, one per example, not i64[10, 1]"},
        BadNpy{"negative_class_index", "mlp", DType::f32, {10, 32}, DType::i64, {10}, 3, -1, "--loss cross_entropy",
               ".y.npy: error: example 3: the class index -1 is negative"},
        BadNpy{"class_index_out_of_range", "mlp", DType::f32, {10, 32}, DType::i64, {10}, 7, 10,
               "--loss cross_entropy",
               "example 7: the class index 10 is out of range: the model's output has 10 classes (0 to 9)"},
        BadNpy{"nan_target", "nn5", DType::f32, {10, 14}, DType::f32, {10, 1}, 2, NAN, "",
               "example 2: a target is nan; targets must be finite"},
        BadNpy{"f64_targets", "nn5", DType::f32, {10, 14}, DType::f64, {10, 1}, -1, 0, "",
               "the targets are f64[10, 1]: f32 values are needed"},
        BadNpy{"zero_d_features", "nn5", DType::f32, {}, DType::f32, {1}, -1, 0, "",
               "the features are a 0-d array"},
        BadNpy{"no_examples", "nn5", DType::f32, {0, 14}, DType::f32, {0, 1}, -1, 0, "",
               "the features hold no examples"},
        BadNpy{"wrong_feature_width", "nn5", DType::f32, {10, 13}, DType::f32, {10, 1}, -1, 0, "",
               "linear input has 13 features but the weight expects 14"},
        BadNpy{"valid_other_shape", "nn5", DType::f32, {10, 14}, DType::f32, {10, 1}, -1, 0,
               "--valid VALID_X --valid-target VALID_Y",
               "the validation features f32[4, 13] do not match the training features f32[10, 14]"},
        BadNpy{"valid_without_targets", "nn5", DType::f32, {10, 14}, DType::f32, {10, 1}, -1, 0, "--valid VALID_X",
               "--valid with .npy data needs --valid-target"},
        BadNpy{"valid_target_without_valid", "nn5", DType::f32, {10, 14}, DType::f32, {10, 1}, -1, 0,
               "--valid-target VALID_Y", "--valid-target needs --valid"},
        BadNpy{"valid_not_an_array", "nn5", DType::f32, {10, 14}, DType::f32, {10, 1}, -1, 0,
               "--valid NOT_NPY --valid-target VALID_Y", "not_npy.npy: error:"}),
    [](const ::testing::TestParamInfo<BadNpy>& info) { return std::string(info.param.name); });

// ---------------------------------------------------------------- bad input

struct BadRun {
  const char* name;
  const char* csv;        // written to bad.csv; null to use train.csv
  const char* flags;      // after `train nn5 --data FILE -o OUT`
  const char* message;    // part of stderr
};

void PrintTo(const BadRun& c, std::ostream* os) { *os << c.name; }

class TrainCliBad : public TrainCli, public ::testing::WithParamInterface<BadRun> {};

TEST_P(TrainCliBad, ExitsTwoWithAClearMessage) {
  const BadRun& c = GetParam();
  // In the flags, MLP picks mlp_relu instead of nn5, BAD stands for the
  // case's CSV when it is not the --data file, DIR for a directory and ZOO
  // for the model zoo.
  std::string flags = c.flags, data = path("train.csv"), model = kNn5;
  if (auto at = flags.find("DIR"); at != std::string::npos) flags.replace(at, 3, *dir_);
  if (auto at = flags.find("ZOO"); at != std::string::npos) flags.replace(at, 3, wick::test_paths::zoo_dir());
  if (auto at = flags.find("MLP"); at != std::string::npos) {
    flags.erase(at, 3);
    model = kMlp;
  }
  if (c.csv) {
    std::string bad = path(std::string(c.name) + ".csv");
    testing::write_text(bad, c.csv);
    if (auto at = flags.find("BAD"); at != std::string::npos) flags.replace(at, 3, bad);
    else data = bad;
  }
  std::string out = path(std::string(c.name) + ".pt");
  auto r = testing::run_wick("train " + model + " --data " + data + " -o " + out + " " + flags);
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(out)) << "a model was written despite the error";
}

INSTANTIATE_TEST_SUITE_P(
    Cases, TrainCliBad,
    ::testing::Values(
        BadRun{"non_numeric", "a,b,c\n1,2,3\n4,five,6\n", "--target-cols 2", ":3: error: column 'b' (1): 'five' is not a number"},
        BadRun{"ragged", "a,b,c\n1,2,3\n4,5\n", "--target-cols 2", ":3: error: the row has 2 cells but the header has 3"},
        BadRun{"missing_target", nullptr, "--target-cols 15", "target column 15 does not exist: the file has 15 columns"},
        BadRun{"nan_target", "a,b,y\n1,2,3\n4,5,NaN\n", "--target-cols y", ":3: error: column 'y' (2): the target is 'NaN'"},
        BadRun{"two_targets_for_one_output",
               "x0,x1,x2,x3,x4,x5,x6,x7,x8,x9,x10,x11,x12,x13,y0,y1\n0,0,0,0,0,0,0,0,0,0,0,0,0,0,1,2\n",
               "--target-cols y0,y1", "the model's output is f32[1, 1] but the target is f32[1, 2]"},
        BadRun{"wrong_feature_count", "a,b,y\n1,2,3\n", "--target-cols 2",
               "linear input has 2 features but the weight expects 14"},
        BadRun{"negative_class", "x0,label\n1,-2\n", "MLP --target-cols 1 --loss cross_entropy", ":2: error: column 'label' (1): the class index '-2'"},
        BadRun{"class_out_of_range",
               "x0,x1,x2,x3,x4,x5,x6,x7,x8,x9,x10,x11,x12,x13,x14,x15,x16,x17,x18,x19,x20,x21,x22,x23,x24,x25,x26,x27,"
               "x28,x29,x30,x31,label\n"
               "0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,10\n",
               "MLP --target-cols 32 --loss cross_entropy",
               ":2: error: column 'label' (32): the class index 10 is out of range: the model's output has 10 classes"},
        BadRun{"ce_probabilities_for_one_output", nullptr, "--target-cols 13,14 --loss cross_entropy", "[200, 2]"},
        BadRun{"negative_lr", nullptr, "--target-cols 14 --lr -0.1", "bad value for --lr: -0.1"},
        BadRun{"zero_lr", nullptr, "--target-cols 14 --lr 0", "bad value for --lr: 0"},
        BadRun{"zero_batch", nullptr, "--target-cols 14 --batch-size 0", "bad value for --batch-size: 0"},
        BadRun{"zero_epochs", nullptr, "--target-cols 14 --epochs 0", "bad value for --epochs: 0"},
        BadRun{"text_epochs", nullptr, "--target-cols 14 --epochs two", "bad value for --epochs: two"},
        BadRun{"unknown_loss", nullptr, "--target-cols 14 --loss hinge", "hinge"},
        BadRun{"unknown_optim", nullptr, "--target-cols 14 --optim rmsprop", "rmsprop"},
        BadRun{"momentum_with_adam", nullptr, "--target-cols 14 --optim adam --momentum 0.9", "--momentum applies to --optim sgd only"},
        BadRun{"no_targets", nullptr, "", "--target-cols (for a CSV --data) or --target (for a .npy --data) is required"},
        BadRun{"targets_both_ways", nullptr, "--target-cols 14 --target y.npy", "--target-cols and --target both given"},
        BadRun{"valid_target_for_csv", nullptr, "--target-cols 14 --valid-target y.npy",
               "--valid-target goes with --target (.npy data)"},
        BadRun{"empty_target_entry", nullptr, "--target-cols 14,", "has an empty entry"},
        BadRun{"missing_data", nullptr, "--target-cols 14 --data /nonexistent/train.csv", "/nonexistent/train.csv: error: cannot open"},
        BadRun{"missing_valid", nullptr, "--target-cols 14 --valid /nonexistent/valid.csv", "/nonexistent/valid.csv: error: cannot open"},
        BadRun{"valid_other_columns", "x0,x1,x2,x3,x4,x5,x6,x7,x8,x9,x10,x11,x12,x13,target\n0,0,0,0,0,0,0,0,0,0,0,0,0,0,1\n",
               "--target-cols 14 --valid BAD", "the header differs from --data's"},
        BadRun{"missing_output_dir", nullptr, "--target-cols 14 -o /nonexistent/dir/t.pt", "/nonexistent/dir: error: the directory for -o does not exist"},
        BadRun{"output_is_a_directory", nullptr, "--target-cols 14 -o DIR", "error: is a directory; -o takes a file name"},
        BadRun{"all_columns_targets", "a,b\n1,2\n", "--target-cols 0,1", "no feature columns are left"},
        BadRun{"unknown_option", nullptr, "--target-cols 14 --lr-decay 3", "unknown option --lr-decay"},
        BadRun{"diverging_lr", nullptr, "--target-cols 14 --lr 1e30", "the loss is"},
        BadRun{"optimizer_state_not_a_file_of_torch_save", "a,b\n1,2\n", "--target-cols 14 --optimizer-state BAD",
               "not a zip archive"},
        BadRun{"optimizer_state_of_another_model", nullptr, "MLP --target-cols 14 --optimizer-state ZOO/nn5.scripted.pt", "not an optimizer's state_dict()"},
        BadRun{"missing_optimizer_state_dir", nullptr, "--target-cols 14 --save-optimizer-state /nonexistent/dir/o.pt",
               "/nonexistent/dir: error: the directory for --save-optimizer-state does not exist"}),
    [](const ::testing::TestParamInfo<BadRun>& info) { return std::string(info.param.name); });

TEST_F(TrainCli, OptimizerStateResumesWhereTrainingStopped) {
  // Two epochs at once, and one epoch then another resumed from the model
  // and optimizer state the first wrote: the second epochs' losses agree.
  const std::string common = " --data " + path("train.csv") + " --target-cols 14 --optim adam --lr 0.01 --batch-size 200";
  auto whole = testing::run_wick("train " + kNn5 + common + " --epochs 2 --history " + path("whole.csv") + " -o " +
                                 path("whole.pt"));
  ASSERT_EQ(whole.status, 0) << whole.err;
  auto first = testing::run_wick("train " + kNn5 + common + " --epochs 1 -o " + path("first.pt") +
                                 " --save-optimizer-state " + path("first_opt.pt"));
  ASSERT_EQ(first.status, 0) << first.err;
  EXPECT_NE(first.out.find("wrote " + path("first_opt.pt")), std::string::npos) << first.out;
  auto second = testing::run_wick("train " + path("first.pt") + common + " --epochs 1 --history " +
                                  path("second.csv") + " -o " + path("second.pt") + " --optimizer-state " +
                                  path("first_opt.pt"));
  ASSERT_EQ(second.status, 0) << second.err;
  const History a = read_history(path("whole.csv")), b = read_history(path("second.csv"));
  ASSERT_EQ(a.rows.size(), 2u);
  ASSERT_EQ(b.rows.size(), 1u);
  EXPECT_LE(rel_diff(b.rows[0][1], a.rows[1][1]), 1e-6) << "resumed " << b.rows[0][1] << ", whole " << a.rows[1][1];
  // Without the state, Adam starts afresh and the epoch differs.
  auto fresh = testing::run_wick("train " + path("first.pt") + common + " --epochs 1 --history " + path("fresh.csv") +
                                 " -o " + path("fresh.pt"));
  ASSERT_EQ(fresh.status, 0) << fresh.err;
  EXPECT_GT(rel_diff(read_history(path("fresh.csv")).rows[0][1], a.rows[1][1]), 1e-4);
}

TEST_F(TrainCli, MissingModelFile) {
  auto r = testing::run_wick("train /nonexistent/model.pt --data " + path("train.csv") + " --target-cols 14 -o " +
                             path("m.pt"));
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("/nonexistent/model.pt"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace wick
