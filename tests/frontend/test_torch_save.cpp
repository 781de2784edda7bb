// torch.save's file format (frontend/torch_save.h): what wick writes reads
// back as written and loads in PyTorch (torch.load) with the same values;
// what torch.save writes reads in wick; files that are not such files get a
// wick::Error.
#include <gtest/gtest.h>

#include <cstring>

#include "frontend/pickle_writer.h"
#include "frontend/torch_save.h"
#include "python_helpers.h"
#include "support/error.h"

namespace wick {
namespace {

using test::TempDir;

Tensor arange_f32(std::vector<int64_t> sizes) {
  Tensor t = Tensor::zeros(DType::f32, std::move(sizes));
  for (int64_t i = 0; i < t.numel(); ++i) t.data_as<float>()[i] = 0.5f * static_cast<float>(i) - 3.0f;
  return t;
}

// Every kind the writer takes, nested: ints of each width, floats, bools,
// None, strings, tuples, lists, dicts keyed by ints and strings, tensors of
// several dtypes (one a transposed, non-contiguous view).
PickleValue sample() {
  Tensor ints = Tensor::zeros(DType::i64, {3});
  ints.data_as<int64_t>()[0] = -7;
  ints.data_as<int64_t>()[2] = int64_t{1} << 40;
  Tensor flags = Tensor::zeros(DType::b8, {2});
  flags.data_as<uint8_t>()[1] = 1;
  Tensor square = arange_f32({2, 3});
  Tensor transposed = square.as_strided({3, 2}, {1, 3}, 0);
  Tensor one = Tensor::zeros(DType::f64, {});
  *one.data_as<double>() = 2.25;
  PickleValue inner = PickleValue::dict();
  inner.set_item(PickleValue::string("t"), PickleValue::tensor(transposed, false));
  inner.set_item(PickleValue::string("w"), PickleValue::tensor(square, true));
  PickleValue root = PickleValue::dict();
  root.set_item(PickleValue::integer(0), std::move(inner));
  root.set_item(PickleValue::integer(300), PickleValue::tensor(ints, false));
  root.set_item(PickleValue::string("numbers"),
                PickleValue::list({PickleValue::integer(255), PickleValue::integer(65535), PickleValue::integer(-1),
                                   PickleValue::integer(int64_t{1} << 33), PickleValue::integer(INT64_MIN),
                                   PickleValue::floating(-0.125), PickleValue::floating(1e300)}));
  root.set_item(PickleValue::string("misc"),
                PickleValue::tuple({PickleValue::boolean(true), PickleValue::boolean(false), PickleValue(),
                                    PickleValue::string("caf\xc3\xa9"), PickleValue::list({}), PickleValue::dict(),
                                    PickleValue::tensor(flags, false), PickleValue::tensor(one, false)}));
  return root;
}

TEST(TorchSave, WhatIsWrittenReadsBack) {
  TempDir dir("torch_save");
  const std::string path = (dir / "state.pt").string();
  write_torch_save(path, sample());
  const PickleValue back = read_torch_save(path);
  // Tensors print by shape only: compare their elements apart.
  EXPECT_EQ(back.repr(1000), sample().repr(1000));
  const PickleValue* t = back.find("misc");
  ASSERT_NE(t, nullptr);
  const Tensor& flags = t->elements()[6].tensor();
  EXPECT_EQ(flags.dtype(), DType::b8);
  EXPECT_EQ(flags.data_as<uint8_t>()[1], 1);
  EXPECT_EQ(*t->elements()[7].tensor().data_as<double>(), 2.25);
  const PickleValue& inner = back.dict_items()[0].second;
  const Tensor transposed = inner.find("t")->tensor().contiguous();
  ASSERT_EQ(transposed.sizes(), (std::vector<int64_t>{3, 2}));
  // Element [i][j] of the transposed view is element [j][i] of the square.
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t j = 0; j < 2; ++j)
      EXPECT_EQ(transposed.data_as<float>()[i * 2 + j], 0.5f * static_cast<float>(j * 3 + i) - 3.0f);
  EXPECT_TRUE(inner.find("w")->requires_grad());
  EXPECT_EQ(back.dict_items()[1].second.tensor().data_as<int64_t>()[2], int64_t{1} << 40);
}

TEST(TorchSave, PyTorchLoadsWhatIsWritten) {
  if (!test::have_torch()) GTEST_SKIP() << "needs python3 with torch";
  TempDir dir("torch_save_py");
  write_torch_save((dir / "state.pt").string(), sample());
  const int rc = test::run_python(dir, R"(
import torch
s = torch.load("state.pt")
assert set(s.keys()) == {0, 300, "numbers", "misc"}, s.keys()
square = torch.arange(6, dtype=torch.float32).view(2, 3) * 0.5 - 3
assert torch.equal(s[0]["w"], square) and s[0]["w"].requires_grad
assert torch.equal(s[0]["t"], square.t()) and not s[0]["t"].requires_grad
assert s[300].dtype == torch.int64 and s[300].tolist() == [-7, 0, 1 << 40]
assert s["numbers"] == [255, 65535, -1, 1 << 33, -(1 << 63), -0.125, 1e300], s["numbers"]
m = s["misc"]
assert m[:6] == (True, False, None, "caf\u00e9", [], {}), m
assert m[6].dtype == torch.bool and m[6].tolist() == [False, True]
assert m[7].dtype == torch.float64 and m[7].dim() == 0 and m[7].item() == 2.25
print("ok")
)");
  EXPECT_EQ(rc, 0) << test::slurp(dir / "log.txt");
}

TEST(TorchSave, ReadsWhatPyTorchWrites) {
  if (!test::have_torch()) GTEST_SKIP() << "needs python3 with torch";
  TempDir dir("torch_save_from_py");
  const int rc = test::run_python(dir, R"(
import torch
w = torch.arange(12, dtype=torch.float32).view(3, 4)
torch.save({"state": {0: {"step": torch.tensor(3.0), "exp_avg": w[:, 1:3]}},
            "param_groups": [{"lr": 0.5, "betas": (0.9, 0.999), "foreach": None, "params": [0]}]}, "opt.pt")
)");
  ASSERT_EQ(rc, 0) << test::slurp(dir / "log.txt");
  const PickleValue s = read_torch_save((dir / "opt.pt").string());
  const PickleValue& entry = s.find("state")->dict_items().at(0).second;
  EXPECT_EQ(s.find("state")->dict_items().at(0).first.to_int(), 0);
  EXPECT_EQ(*entry.find("step")->tensor().data_as<float>(), 3.0f);
  // A slice of a larger storage: the view torch saved, not its storage.
  const Tensor m = entry.find("exp_avg")->tensor().contiguous();
  ASSERT_EQ(m.sizes(), (std::vector<int64_t>{3, 2}));
  const float want[] = {1, 2, 5, 6, 9, 10};
  for (int i = 0; i < 6; ++i) EXPECT_EQ(m.data_as<float>()[i], want[i]);
  const PickleValue& group = s.find("param_groups")->elements().at(0);
  EXPECT_EQ(group.find("lr")->to_double(), 0.5);
  EXPECT_EQ(group.find("betas")->repr(), "(0.9, 0.999)");
}

TEST(TorchSave, RefusesOtherFiles) {
  TempDir dir("torch_save_bad");
  test::spit(dir / "text.pt", "not a zip at all");
  EXPECT_THROW(read_torch_save((dir / "text.pt").string()), Error);
  EXPECT_THROW(read_torch_save((dir / "missing.pt").string()), Error);
  // A value torch.load cannot take back is refused before anything is written.
  EXPECT_THROW(write_torch_save((dir / "obj.pt").string(), PickleValue::object("__torch__.Net")), Error);
  EXPECT_FALSE(std::filesystem::exists(dir / "obj.pt"));
  try {
    read_torch_save((dir / "text.pt").string());
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("text.pt"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace wick
