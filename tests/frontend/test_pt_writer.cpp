// write_pt: a module written back unchanged gives the archive's entries
// byte for byte; a changed tensor lands in its storage (and reads back
// through the loader) while every other entry stays as it was; a module
// tensor that no longer fits what the archive stores is refused.
#include <gtest/gtest.h>

#include <cstring>

#include "frontend/loader.h"
#include "frontend/pt_writer.h"
#include "python_helpers.h"
#include "test_paths.h"

namespace wick {
namespace {

using test::TempDir;

std::string zoo(const char* model) { return std::string(wick::test_paths::zoo_dir()) + "/" + model + ".scripted.pt"; }

TEST(PtWriter, UnchangedModuleGivesTheSameEntries) {
  const PtArchive archive = load_pt_archive(zoo("cnn_bn"));
  auto module = load_torchscript(zoo("cnn_bn"));
  TempDir dir("ptw");
  const std::string out = (dir / "same.pt").string();
  write_pt(archive, *module, out);
  const ZipArchive again = ZipArchive::open(out);
  EXPECT_EQ(again.root(), archive.zip.root());
  ASSERT_EQ(again.names(), archive.zip.names());
  for (const std::string& rel : archive.zip.names()) EXPECT_EQ(again.read(rel), archive.zip.read(rel)) << rel;
}

TEST(PtWriter, ChangedTensorIsWrittenAndNothingElse) {
  const PtArchive archive = load_pt_archive(zoo("nn5"));
  auto module = load_torchscript(zoo("nn5"));
  const ir::NamedTensor& w = module->tensors().front();
  Tensor changed = Tensor::zeros(w.data.dtype(), w.data.sizes());
  for (int64_t i = 0; i < changed.numel(); ++i) changed.data_as<float>()[i] = 0.5f + static_cast<float>(i);
  module->set_tensor_data(w.name, changed);
  TempDir dir("ptw");
  const std::string out = (dir / "changed.pt").string();
  write_pt(archive, *module, out);

  auto loaded = load_torchscript(out);
  int changed_entries = 0;
  const ZipArchive again = ZipArchive::open(out);
  for (const std::string& rel : archive.zip.names()) changed_entries += again.read(rel) != archive.zip.read(rel);
  EXPECT_EQ(changed_entries, 1);
  for (const ir::NamedTensor& t : loaded->tensors()) {
    const Tensor want = t.name == w.name ? changed : module->find_tensor(t.name)->data;
    ASSERT_EQ(t.data.sizes(), want.sizes()) << t.name;
    EXPECT_EQ(std::memcmp(t.data.contiguous().data(), want.contiguous().data(), want.nbytes()), 0) << t.name;
  }
}

TEST(PtWriter, RefusesATensorOfAnotherShape) {
  const PtArchive archive = load_pt_archive(zoo("nn5"));
  auto module = load_torchscript(zoo("nn5"));
  const std::string name = module->tensors().front().name;
  module->set_tensor_data(name, Tensor::zeros(DType::f32, {3}));
  TempDir dir("ptw");
  try {
    write_pt(archive, *module, (dir / "bad.pt").string());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("module tensor " + name + " is f32[3] but the archive stores"),
              std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "bad.pt"));
}

}  // namespace
}  // namespace wick
