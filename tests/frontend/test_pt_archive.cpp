// Tests of load_pt_archive on .pt files torch.jit.save writes (scripted and
// traced models, tensor constants, attributes of every kind TorchScript
// saves), with tensor values checked against the bytes torch reports, and on
// archives rewritten to be broken.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <optional>

#include "frontend/pt_archive.h"
#include "pickle_writer.h"
#include "python_files.h"
#include "support/error.h"
#include "zip_builder.h"

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

std::string tensor_bytes(const Tensor& t) {
  Tensor c = t.contiguous();
  return std::string(static_cast<const char*>(c.data()), c.nbytes());
}

// Rebuilds `zip` with entries replaced (a value) or removed (nullopt).
std::string rewrite(const ZipArchive& zip,
                    const std::map<std::string, std::optional<std::string>>& changes) {
  std::vector<test::ZipEntrySpec> entries;
  for (const std::string& rel : zip.names()) {
    auto it = changes.find(rel);
    if (it == changes.end())
      entries.push_back({zip.root() + "/" + rel, zip.read(rel)});
    else if (it->second)
      entries.push_back({zip.root() + "/" + rel, *it->second});
  }
  for (const auto& [rel, data] : changes)
    if (data && !zip.contains(rel)) entries.push_back({zip.root() + "/" + rel, *data});
  return test::build_zip(entries, true);
}

// An archive built here, so these checks run without torch too.
std::string handmade_archive() {
  PickleWriter data;
  data.global("__torch__", "Net").op(')').op(static_cast<uint8_t>(0x81)).op('}').mark();
  data.str("w").tensor("FloatStorage", "0", 4, 0, {2, 2}, {2, 1}, true);
  data.str("training").boolean(true).op('u').op('b');
  PickleWriter constants;
  constants.mark().tensor("LongStorage", "0", 2, 0, {2}, {1}).tuple();
  const float w[] = {1, 2, 3, 4};
  const int64_t c[] = {7, -8};
  return test::build_zip(
      {{"net/data.pkl", data.stop()},
       {"net/data/0", std::string(reinterpret_cast<const char*>(w), sizeof w)},
       {"net/constants.pkl", constants.stop()},
       {"net/constants/0", std::string(reinterpret_cast<const char*>(c), sizeof c)},
       {"net/code/__torch__.py", "class Net(Module):\n  pass\n", true},
       {"net/code/__torch__.py.debug_pkl", "\x80\x02).", true},
       {"net/version", "3\n"}},
      true);
}

TEST(PtArchive, ReadsHandmadeArchive) {
  PtArchive a = read_pt_archive(ZipArchive::from_bytes(handmade_archive(), "net.pt"));
  EXPECT_EQ(a.path, "net.pt");
  EXPECT_EQ(a.version, 3);
  EXPECT_EQ(a.data.class_name(), "__torch__.Net");
  const PickleValue* w = a.data.find("w");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->tensor().describe(), "f32[2, 2]");
  EXPECT_TRUE(w->requires_grad());
  EXPECT_EQ(w->tensor().data_as<float>()[3], 4.0f);
  // Constants take their storages from constants/, not data/.
  ASSERT_EQ(a.constants.elements().size(), 1u);
  const Tensor& c = a.constants.elements()[0].tensor();
  EXPECT_EQ(c.describe(), "i64[2]");
  EXPECT_EQ(c.data_as<int64_t>()[1], -8);
  ASSERT_EQ(a.code_files.size(), 1u);
  EXPECT_EQ(a.code_files.at("code/__torch__.py"), "class Net(Module):\n  pass\n");
}

// Archives torch writes -----------------------------------------------------

class TorchArchives : public test::PythonFiles<TorchArchives> {
 public:
  static const char* tag() { return "pt_archive"; }
  static std::string script() {
    return R"(
import torch
from typing import Dict, List, Optional, Tuple
torch.manual_seed(0)

def dump(name, t):
    open(name + ".bin", "wb").write(t.detach().contiguous().numpy().tobytes())

lin = torch.jit.script(torch.nn.Linear(3, 2))
torch.jit.save(lin, "lin.pt")
dump("lin.weight", lin.weight)
dump("lin.bias", lin.bias)

class WithConstants(torch.nn.Module):
    def forward(self, x):
        return x * torch.tensor([1.5, 2.5]) + torch.tensor([3, 4])

torch.jit.save(torch.jit.trace(WithConstants(), torch.randn(2)), "traced.pt")

class Attrs(torch.nn.Module):
    il: List[int]
    fl: List[float]
    d: Dict[str, int]
    o: Optional[int]
    tp: Tuple[int, str]
    names: List[str]

    def __init__(self):
        super().__init__()
        self.il = [1, -2, 300000]
        self.fl = [1.5, -2.25]
        self.s = "hello"
        self.d = {"a": 1, "b": 2}
        self.o = None
        self.tp = (1, "x")
        self.names = ["p", "q"]
        self.flag = True
        self.big = 2**40
        self.neg = -5
        self.register_buffer("buf", torch.arange(6).reshape(2, 3).t())
        self.tl = [torch.ones(2), torch.zeros(3)]
        self.bl = [True, False]
        self.h = torch.full((3,), 0.5, dtype=torch.half)
        self.sub = torch.nn.ReLU()

    def forward(self, x):
        return x + self.il[0] + self.fl[0]

attrs = torch.jit.script(Attrs())
torch.jit.save(attrs, "attrs.pt")
dump("attrs.buf", attrs.buf)
dump("attrs.h", attrs.h)

class Big(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(8, 32, 3)
        self.bn = torch.nn.BatchNorm2d(32)
        self.fc1 = torch.nn.Linear(1024, 512)
        self.fc2 = torch.nn.Linear(512, 10)

    def forward(self, x):
        x = self.bn(self.conv(x)).flatten(1)
        return self.fc2(torch.relu(self.fc1(x)))

big = torch.jit.script(Big())
torch.jit.save(big, "big.pt")
with open("big.txt", "w") as names:
    for k, v in big.state_dict().items():
        dump("big." + k, v)
        names.write("%s %s %s\n" % (k, str(v.dtype)[6:], "x".join(map(str, v.shape)) or "scalar"))
)";
  }

 protected:
};

TEST_F(TorchArchives, ScriptedLinear) {
  PtArchive a = load_pt_archive(path("lin.pt"));
  EXPECT_EQ(a.path, path("lin.pt"));
  EXPECT_GE(a.version, 1);
  EXPECT_EQ(a.zip.root(), "lin");
  EXPECT_EQ(a.data.class_name(), "__torch__.torch.nn.modules.linear.Linear");
  const PickleValue* w = a.data.find("weight");
  const PickleValue* b = a.data.find("bias");
  ASSERT_TRUE(w && b);
  EXPECT_EQ(w->tensor().describe(), "f32[2, 3]");
  EXPECT_TRUE(w->requires_grad());
  EXPECT_EQ(tensor_bytes(w->tensor()), bytes_of("lin.weight.bin"));
  EXPECT_EQ(b->tensor().describe(), "f32[2]");
  EXPECT_EQ(tensor_bytes(b->tensor()), bytes_of("lin.bias.bin"));
  ASSERT_NE(a.data.find("training"), nullptr);
  EXPECT_TRUE(a.data.find("training")->to_bool());
  EXPECT_TRUE(a.constants.is(K::tuple));
  EXPECT_TRUE(a.constants.elements().empty());
  const auto code = a.code_files.find("code/__torch__/torch/nn/modules/linear.py");
  ASSERT_NE(code, a.code_files.end());
  EXPECT_NE(code->second.find("def forward"), std::string::npos);
  for (const auto& [name, text] : a.code_files)
    EXPECT_EQ(name.find(".debug_pkl"), std::string::npos) << name;
}

TEST_F(TorchArchives, TracedModelTensorConstants) {
  PtArchive a = load_pt_archive(path("traced.pt"));
  EXPECT_EQ(a.data.class_name(), "__torch__.WithConstants");
  ASSERT_EQ(a.constants.elements().size(), 2u);
  const Tensor& f = a.constants.elements()[0].tensor();
  const Tensor& i = a.constants.elements()[1].tensor();
  EXPECT_EQ(f.describe(), "f32[2]");
  EXPECT_EQ(f.data_as<float>()[0], 1.5f);
  EXPECT_EQ(f.data_as<float>()[1], 2.5f);
  EXPECT_EQ(i.describe(), "i64[2]");
  EXPECT_EQ(i.data_as<int64_t>()[0], 3);
  EXPECT_EQ(i.data_as<int64_t>()[1], 4);
  EXPECT_NE(a.code_files.at("code/__torch__.py").find("CONSTANTS.c0"), std::string::npos);
}

TEST_F(TorchArchives, AttributesOfEveryKind) {
  PtArchive a = load_pt_archive(path("attrs.pt"));
  const PickleValue& m = a.data;
  EXPECT_EQ(m.class_name(), "__torch__.Attrs");
  auto attr = [&](const char* name) -> const PickleValue& {
    const PickleValue* v = m.find(name);
    if (!v) throw std::runtime_error(std::string("missing attribute ") + name);
    return *v;
  };
  EXPECT_EQ(attr("il").type_tag(), "List[int]");
  EXPECT_EQ(attr("il").repr(), "[1, -2, 300000]");
  EXPECT_EQ(attr("fl").type_tag(), "List[float]");
  EXPECT_EQ(attr("fl").repr(), "[1.5, -2.25]");
  EXPECT_EQ(attr("s").to_str(), "hello");
  EXPECT_EQ(attr("d").type_tag(), "Dict[str, int]");
  EXPECT_EQ(attr("d").repr(), "{'a': 1, 'b': 2}");
  EXPECT_TRUE(attr("o").is_none());
  EXPECT_EQ(attr("tp").repr(), "(1, 'x')");
  EXPECT_EQ(attr("names").type_tag(), "List[str]");
  EXPECT_EQ(attr("names").repr(), "['p', 'q']");
  EXPECT_TRUE(attr("flag").to_bool());
  EXPECT_EQ(attr("big").to_int(), int64_t{1} << 40);
  EXPECT_EQ(attr("neg").to_int(), -5);
  EXPECT_EQ(attr("bl").type_tag(), "List[bool]");
  EXPECT_EQ(attr("bl").repr(), "[True, False]");

  const Tensor& buf = attr("buf").tensor();
  EXPECT_EQ(buf.describe(), "i64[3, 2]");
  EXPECT_EQ(buf.strides(), (std::vector<int64_t>{1, 3}));
  EXPECT_FALSE(attr("buf").requires_grad());
  EXPECT_EQ(tensor_bytes(buf), bytes_of("attrs.buf.bin"));
  EXPECT_EQ(attr("h").tensor().describe(), "f16[3]");
  EXPECT_EQ(tensor_bytes(attr("h").tensor()), bytes_of("attrs.h.bin"));
  ASSERT_EQ(attr("tl").type_tag(), "List[Tensor]");
  ASSERT_EQ(attr("tl").elements().size(), 2u);
  EXPECT_EQ(attr("tl").elements()[1].tensor().describe(), "f32[3]");

  const PickleValue& sub = attr("sub");
  EXPECT_EQ(sub.class_name(), "__torch__.torch.nn.modules.activation.ReLU");
  ASSERT_NE(sub.find("training"), nullptr);
  EXPECT_GE(a.code_files.size(), 2u);
}

TEST_F(TorchArchives, BiggerModelValuesMatch) {
  PtArchive a = load_pt_archive(path("big.pt"));
  std::istringstream names(bytes_of("big.txt"));
  std::string key, dtype, shape;
  int checked = 0;
  while (names >> key >> dtype >> shape) {
    SCOPED_TRACE(key);
    const size_t dot = key.find('.');
    const PickleValue* sub = a.data.find(key.substr(0, dot));
    ASSERT_NE(sub, nullptr);
    const PickleValue* t = sub->find(key.substr(dot + 1));
    ASSERT_NE(t, nullptr);
    ASSERT_TRUE(t->is(K::tensor));
    EXPECT_EQ(tensor_bytes(t->tensor()), bytes_of("big." + key + ".bin"));
    ++checked;
  }
  EXPECT_GE(checked, 10);  // conv, bn (with running stats), fc1, fc2
  EXPECT_EQ(a.data.find("fc1")->find("weight")->tensor().describe(), "f32[512, 1024]");
}

// Bad input ------------------------------------------------------------------

TEST(PtArchiveErrors, NoDataPkl) {
  std::string bytes = test::build_zip({{"m/code/__torch__.py", "pass\n"}, {"m/version", "3\n"}});
  expect_error([&] { read_pt_archive(ZipArchive::from_bytes(bytes, "nodata.pt")); },
               {"nodata.pt", "not a TorchScript archive: no data.pkl"});
  std::string old = test::build_zip({{"m/model.json", "{}"}, {"m/attributes.pkl", "x"}});
  expect_error([&] { read_pt_archive(ZipArchive::from_bytes(old, "old.pt")); },
               {"old.pt", "no data.pkl", "model.json format"});
}

TEST(PtArchiveErrors, MissingFile) {
  expect_error([] { load_pt_archive("does/not/exist.pt"); }, {"does/not/exist.pt"});
}

TEST(PtArchiveErrors, StorageShorterThanDeclared) {
  ZipArchive zip = ZipArchive::from_bytes(handmade_archive(), "net.pt");
  std::string bytes = rewrite(zip, {{"data/0", std::string(12, '\0')}});
  expect_error([&] { read_pt_archive(ZipArchive::from_bytes(bytes, "short.pt")); },
               {"short.pt", "data.pkl, byte", "(BINPERSID)",
                "storage data/0 holds 12 bytes but data.pkl declares 4 f32 elements (16 bytes)"});
}

TEST(PtArchiveErrors, MissingStorageEntry) {
  ZipArchive zip = ZipArchive::from_bytes(handmade_archive(), "net.pt");
  std::string bytes = rewrite(zip, {{"constants/0", std::nullopt}});
  expect_error([&] { read_pt_archive(ZipArchive::from_bytes(bytes, "gone.pt")); },
               {"gone.pt", "constants.pkl refers to storage '0'", "no entry 'constants/0'"});
}

TEST(PtArchiveErrors, MaliciousDataPkl) {
  ZipArchive zip = ZipArchive::from_bytes(handmade_archive(), "net.pt");
  const std::string evil = test::bytes(
      "\x80\x02\x63os\nsystem\nq\x00X\x02\x00\x00\x00lsq\x01\x85q\x02Rq\x03.");
  std::string bytes = rewrite(zip, {{"data.pkl", evil}});
  expect_error([&] { read_pt_archive(ZipArchive::from_bytes(bytes, "evil.pt")); },
               {"evil.pt", "data.pkl, byte 2 (GLOBAL)", "'os.system'", "not allowed"});
}

TEST(PtArchiveErrors, ConstantsNotATuple) {
  ZipArchive zip = ZipArchive::from_bytes(handmade_archive(), "net.pt");
  std::string bytes = rewrite(zip, {{"constants.pkl", "\x80\x02K\x05."}});
  expect_error([&] { read_pt_archive(ZipArchive::from_bytes(bytes, "c.pt")); },
               {"c.pt", "constants.pkl holds 5, not a tuple"});
}

TEST(PtArchiveErrors, BigEndianArchive) {
  ZipArchive zip = ZipArchive::from_bytes(handmade_archive(), "net.pt");
  std::string bytes = rewrite(zip, {{"byteorder", "big"}});
  expect_error([&] { read_pt_archive(ZipArchive::from_bytes(bytes, "be.pt")); },
               {"be.pt", "'big' byte order", "only little-endian"});
  std::string little = rewrite(zip, {{"byteorder", "little"}});
  EXPECT_NO_THROW(read_pt_archive(ZipArchive::from_bytes(little, "le.pt")));
}

// PyTorch 2.x writes the same records in another layout: the version in
// .data/version, a .data/serialization_id, and a byteorder record; a traced
// module also keeps its example inputs, as a traced_inputs.pkl whose
// tensors' records are empty. The same archive in that layout must read to
// the same tensors and code.
TEST_F(TorchArchives, PyTorch2LayoutReadsTheSame) {
  ZipArchive zip = ZipArchive::open(path("lin.pt"));
  const PtArchive old_layout = read_pt_archive(ZipArchive::open(path("lin.pt")));
  PickleWriter traced_inputs;  // {"forward": [a [2, 3] tensor]}, its data left out
  traced_inputs.op('}').mark().str("forward").op(']').mark().tensor("FloatStorage", "0", 6, 0, {2, 3}, {3, 1});
  traced_inputs.op('e').op('u');
  std::string bytes = rewrite(zip, {{"version", std::nullopt},
                                    {".data/version", "10\n"},
                                    {".data/serialization_id", "1234567890123456789012345678901234567890"},
                                    {"byteorder", "little"},
                                    {"traced_inputs.pkl", traced_inputs.stop()},
                                    {"traced_inputs/0", ""}});
  const PtArchive new_layout = read_pt_archive(ZipArchive::from_bytes(bytes, "lin2.pt"));
  EXPECT_EQ(old_layout.version, 3);
  EXPECT_EQ(new_layout.version, 10);
  EXPECT_EQ(new_layout.code_files, old_layout.code_files);
  ASSERT_EQ(new_layout.data_storages.size(), old_layout.data_storages.size());
  for (const auto& [key, storage] : old_layout.data_storages) {
    ASSERT_TRUE(new_layout.data_storages.count(key)) << key;
    const auto& other = new_layout.data_storages.at(key);
    ASSERT_EQ(other->nbytes(), storage->nbytes()) << key;
    EXPECT_EQ(std::memcmp(other->data(), storage->data(), storage->nbytes()), 0) << key;
  }
  std::string bad = rewrite(zip, {{".data/version", "ten"}});
  expect_error([&] { read_pt_archive(ZipArchive::from_bytes(bad, "v2.pt")); }, {"v2.pt", "'ten', not a version number"});
}

TEST(PtArchiveErrors, BadVersionEntry) {
  ZipArchive zip = ZipArchive::from_bytes(handmade_archive(), "net.pt");
  std::string bytes = rewrite(zip, {{"version", "three"}});
  expect_error([&] { read_pt_archive(ZipArchive::from_bytes(bytes, "v.pt")); },
               {"v.pt", "'three', not a version number"});
}

TEST_F(TorchArchives, StorageShorterThanDeclaredInTorchFile) {
  ZipArchive zip = ZipArchive::open(path("lin.pt"));
  std::string bytes = rewrite(zip, {{"data/0", std::string(20, '\0')}});
  expect_error([&] { read_pt_archive(ZipArchive::from_bytes(bytes, "lin-short.pt")); },
               {"lin-short.pt", "storage data/0 holds 20 bytes", "6 f32 elements (24 bytes)"});
}

TEST_F(TorchArchives, TruncatedAtEveryLength) {
  const std::string full = bytes_of("lin.pt");
  for (size_t cut = 0; cut < full.size(); ++cut) {
    SCOPED_TRACE(cut);
    expect_error([&] { read_pt_archive(ZipArchive::from_bytes(full.substr(0, cut), "cut.pt")); },
                 {"cut.pt"});
  }
}

TEST_F(TorchArchives, CorruptedAtEveryByteNeverCrashes) {
  const std::string full = bytes_of("traced.pt");
  int failures = 0;
  for (size_t i = 0; i < full.size(); ++i) {
    std::string bad = full;
    bad[i] = static_cast<char>(bad[i] ^ 0x21);
    try {
      read_pt_archive(ZipArchive::from_bytes(bad, "flip.pt"));
    } catch (const Error& e) {
      ++failures;
      EXPECT_NE(std::string(e.what()).find("flip.pt"), std::string::npos) << e.what();
    }
  }
  EXPECT_GT(failures, 0);
}

}  // namespace
}  // namespace wick
