// The TorchScript front end on the code torch.jit.save really writes: every
// code/**/*.py file of scripted and traced models (ts_models.py) must parse,
// print back to source that parses to the same tree, and survive truncation.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "frontend/ts_ast_print.h"
#include "frontend/ts_parser.h"
#include "tests/frontend/python_helpers.h"
#include "test_paths.h"

namespace wick::ts {
namespace {

namespace fs = std::filesystem;

class TsSavedCode : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!test::have_torch()) return;
    dir_ = std::make_unique<test::TempDir>("ts_models");
    std::string script = test::slurp(fs::path(wick::test_paths::source_dir()) / "tests/frontend/ts_models.py");
    status_ = test::run_python(*dir_, script);
    log_ = test::slurp(*dir_ / "log.txt");
  }
  static void TearDownTestSuite() { dir_.reset(); }

  void SetUp() override {
    if (!test::have_torch()) GTEST_SKIP() << "no python3 with torch";
    ASSERT_EQ(status_, 0) << "ts_models.py failed:\n" << log_;
  }

  static std::vector<std::string> models() {
    std::vector<std::string> out;
    std::string list = test::slurp(*dir_ / "models.txt");
    size_t start = 0;
    while (start < list.size()) {
      size_t end = list.find('\n', start);
      if (end == std::string::npos) end = list.size();
      if (end > start) out.push_back(list.substr(start, end - start));
      start = end + 1;
    }
    return out;
  }

  // The model's code files, sorted, as paths relative to its folder.
  static std::vector<fs::path> code_files(const std::string& model) {
    std::vector<fs::path> out;
    for (const auto& entry : fs::recursive_directory_iterator(*dir_ / model)) {
      if (entry.is_regular_file() && entry.path().extension() == ".py") {
        out.push_back(fs::relative(entry.path(), *dir_ / model));
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  // Parses one file under the name the archive gives it (code/...).
  static SourceFile parse_file(const std::string& model, const fs::path& rel) {
    return parse_torchscript(read(model, rel), "code/" + rel.generic_string());
  }
  static std::string read(const std::string& model, const fs::path& rel) {
    return test::slurp(*dir_ / model / rel);
  }

  static const ClassDef* find_class(const SourceFile& f, const std::string& name) {
    for (const ClassDef* c : f.classes()) {
      if (c->name == name) return c;
    }
    return nullptr;
  }
  static const FunctionDef* find_method(const ClassDef& c, const std::string& name) {
    for (const StmtPtr& s : c.body) {
      if (auto f = s->get_if<FunctionDef>(); f && f->name == name) return f;
    }
    return nullptr;
  }

  static std::unique_ptr<test::TempDir> dir_;
  static int status_;
  static std::string log_;
};

std::unique_ptr<test::TempDir> TsSavedCode::dir_;
int TsSavedCode::status_ = -1;
std::string TsSavedCode::log_;

TEST_F(TsSavedCode, EveryFileParsesAndPrintsBackToTheSameTree) {
  std::vector<std::string> expected = {"block_scripted", "block_traced", "control_flow",
                                       "misc",           "lstm",         "encoder_layer"};
  if (test::python_has("torchvision")) {
    for (const char* m :
         {"resnet18_scripted", "resnet18_traced", "mobilenet_v2_scripted", "mobilenet_v2_traced"}) {
      expected.push_back(m);
    }
  }
  std::vector<std::string> written = models();
  for (const std::string& m : expected) {
    EXPECT_NE(std::find(written.begin(), written.end(), m), written.end()) << m << " missing";
  }

  size_t files = 0;
  for (const std::string& model : written) {
    std::vector<fs::path> paths = code_files(model);
    EXPECT_FALSE(paths.empty()) << model;
    for (const fs::path& rel : paths) {
      SCOPED_TRACE(model + "/" + rel.generic_string());
      try {
        SourceFile f = parse_file(model, rel);
        EXPECT_FALSE(f.body.empty());
        std::string printed = to_source(f);
        SourceFile again = parse_torchscript(printed, "printed.py");
        EXPECT_EQ(dump(f), dump(again)) << printed;
        ++files;
      } catch (const Error& e) {
        ADD_FAILURE() << e.what();
      }
    }
  }
  EXPECT_GT(files, 20u);
}

TEST_F(TsSavedCode, ControlFlowModelStructure) {
  SourceFile f = parse_file("control_flow", "__torch__.py");
  const ClassDef* cls = find_class(f, "ControlFlow");
  ASSERT_NE(cls, nullptr);
  ASSERT_EQ(cls->bases.size(), 1u);
  EXPECT_EQ(dump(*cls->bases[0]), "Module");
  const FunctionDef* forward = find_method(*cls, "forward");
  ASSERT_NE(forward, nullptr);
  ASSERT_EQ(forward->params.size(), 4u);
  EXPECT_EQ(forward->params[2].name, "n");
  EXPECT_EQ(dump(*forward->params[2].default_value), "3");
  EXPECT_EQ(dump(*forward->params[3].default_value), "True");
  EXPECT_EQ(dump(*forward->return_annotation), "(sub Tuple Tensor (sub List int))");

  std::string text = dump(*forward);
  for (const char* piece : {
           "for i in (call range n)\n",
           "while _",
           "(call (. torch dropout) x 0.5 training)",
           "(call unchecked_cast Tensor opt)",
           "(call (. (. ops prim) RaiseException) \"too big \\\"n\\\"\\t\\n\" "
           "\"builtins.ValueError\")",
           "(call (. (. ops prim) RaiseException) \"AssertionError: negative\")",
           "-9223372036854775808",
           "(call (. torch slice) x",
       }) {
    EXPECT_NE(text.find(piece), std::string::npos) << "missing " << piece << " in\n" << text;
  }

  std::string annotations;
  for (const StmtPtr& s : cls->body) {
    if (auto a = s->get_if<AssignStmt>(); a && a->annotation && !a->value) {
      annotations += dump(*a->target) + ":" + dump(*a->annotation) + " ";
    }
  }
  EXPECT_NE(annotations.find("opt:(sub Optional Tensor)"), std::string::npos) << annotations;
  EXPECT_NE(annotations.find("table:(sub Dict str int)"), std::string::npos) << annotations;
}

TEST_F(TsSavedCode, LinearModuleStructure) {
  const ClassDef* linear = nullptr;
  SourceFile holder;
  for (const fs::path& rel : code_files("block_scripted")) {
    SourceFile f = parse_file("block_scripted", rel);
    if (find_class(f, "Linear")) {
      holder = std::move(f);
      linear = find_class(holder, "Linear");
      break;
    }
  }
  ASSERT_NE(linear, nullptr);
  EXPECT_EQ(dump(*linear->body[0]), "assign __parameters__ = (list \"weight\" \"bias\")\n");
  const FunctionDef* forward = find_method(*linear, "forward");
  ASSERT_NE(forward, nullptr);
  ASSERT_FALSE(forward->body.empty());
  EXPECT_EQ(dump(*forward->body.back()), "return (call (. torch linear) input weight bias)\n");
  EXPECT_EQ(forward->loc.file.rfind("code/__torch__/torch/nn/modules/linear", 0), 0u)
      << forward->loc.file;
}

TEST_F(TsSavedCode, EveryTruncationParsesOrFailsCleanly) {
  for (const char* model : {"control_flow", "misc"}) {
    std::string text = read(model, "__torch__.py");
    ASSERT_FALSE(text.empty()) << model;
    for (size_t n = 0; n < text.size(); ++n) {
      try {
        parse_torchscript(text.substr(0, n), "code/__torch__.py");
      } catch (const Error& e) {
        EXPECT_EQ(e.where().file, "code/__torch__.py");
        EXPECT_GT(e.where().line, 0) << e.what();
      } catch (const std::exception& e) {
        ADD_FAILURE() << model << " cut at " << n << ": " << e.what();
      }
    }
  }
}

}  // namespace
}  // namespace wick::ts
