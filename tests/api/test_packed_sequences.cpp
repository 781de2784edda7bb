// Recurrent layers over packed sequences (nn.utils.rnn.pack_padded_sequence
// and pad_packed_sequence), run by jit_load against LibTorch on fresh
// inputs: scripted and traced; LSTM (two bidirectional layers, and with a
// projection), GRU (time-major, given h0, padded past the input with -1)
// and ReLU RNN; sorted and unsorted lengths; pack_sequence and
// pad_sequence of sequences of different lengths. What raises while running, as
// LibTorch does: lengths out of order with enforce_sorted, a zero length,
// a length beyond the padded input; and, where LibTorch's result would be
// shorter than the input, a batch whose longest sequence does not fill it.
// Packed data reaching another op is refused when compiling.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "api/jit_module.h"
#include "runtime/npy.h"
#include "support/error.h"
#include "tests/api/jit_helpers.h"
#include "tests/frontend/python_files.h"

namespace wick {
namespace {

class PackedSequences : public test::PythonFiles<PackedSequences> {
 public:
  static const char* tag() { return "packed_sequences"; }
  static std::string script() {
    return R"py(
import numpy as np
import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from typing import Tuple


class Tagger(nn.Module):
    """Embedded tokens through a two-layer bidirectional LSTM, padded back."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(20, 8)
        self.lstm = nn.LSTM(8, 6, num_layers=2, bidirectional=True, batch_first=True)
        self.out = nn.Linear(12, 4)

    def forward(self, tokens: Tensor, lengths: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        packed = pack_padded_sequence(self.embed(tokens), lengths, batch_first=True, enforce_sorted=False)
        out, (h, c) = self.lstm(packed)
        y, _ = pad_packed_sequence(out, batch_first=True)
        return self.out(y), h, c


class TimeMajorGru(nn.Module):
    """A time-major GRU from h0 on sorted lengths, padded past the input with -1."""

    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(5, 7)

    def forward(self, x: Tensor, lengths: Tensor, h0: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        out, h = self.gru(pack_padded_sequence(x, lengths), h0)
        y, lens = pad_packed_sequence(out, padding_value=-1.0, total_length=x.size(0) + 2)
        return y, lens.float(), h


class Classifier(nn.Module):
    """The last states of a ReLU RNN and of a projected LSTM, not padded back."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(5, 6, num_layers=2, nonlinearity="relu", batch_first=True)
        self.lstm = nn.LSTM(5, 6, proj_size=3, batch_first=True)
        self.head = nn.Linear(9, 2)

    def forward(self, x: Tensor, lengths: Tensor) -> Tensor:
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        _, h = self.rnn(packed)
        _, (hp, _) = self.lstm(packed)
        return self.head(torch.cat([h[-1], hp[-1]], 1))


class Sequences(nn.Module):
    """pack_sequence of a list of sequences of different lengths, and pad_sequence."""

    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(5, 4)

    def forward(self, a: Tensor, b: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        out, h = self.gru(nn.utils.rnn.pack_sequence([a[:2], b, a], enforce_sorted=False))
        y, _ = pad_packed_sequence(out)
        return h, y, nn.utils.rnn.pad_sequence([a, b[:1]], batch_first=True, padding_value=2.0)


class Misuse(nn.Module):
    def forward(self, x: Tensor, lengths: Tensor) -> Tensor:
        return torch.relu(pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False).data)


torch.manual_seed(11)
arrays = {
    "tokens": torch.randint(0, 20, (4, 7)),
    "x": torch.randn(4, 7, 5),
    "xt": torch.randn(6, 3, 5),
    "h0": torch.randn(1, 3, 7),
    "unsorted": torch.tensor([3, 7, 5, 1]),
    "short": torch.tensor([5, 3, 2, 1]),
    "zero": torch.tensor([7, 0, 5, 1]),
    "too_long": torch.tensor([8, 3, 5, 1]),
    "sorted_t": torch.tensor([6, 4, 2]),
    "unsorted_t": torch.tensor([4, 6, 2]),
    "a": torch.randn(6, 5),
    "b": torch.randn(3, 5),
}
for name, a in arrays.items():
    np.save(name + ".npy", a.numpy())
models = {"tagger": Tagger().eval(), "gru": TimeMajorGru().eval(), "classifier": Classifier().eval(),
          "sequences": Sequences().eval()}
for name, m in models.items():
    torch.jit.script(m).save(name + ".pt")
torch.jit.script(Misuse()).save("misuse.pt")
with torch.no_grad():
    torch.jit.trace(models["tagger"], (arrays["tokens"], arrays["unsorted"])).save("tagger_traced.pt")
    torch.jit.trace(models["classifier"], (arrays["x"], arrays["unsorted"])).save("classifier_traced.pt")
    runs = {"tagger": [("tokens", "unsorted")], "tagger_traced": [("tokens", "unsorted")],
            "gru": [("xt", "sorted_t", "h0")],
            "classifier": [("x", "unsorted"), ("x", "short")], "classifier_traced": [("x", "short")],
            "sequences": [("a", "b")]}
    for model, inputs in runs.items():
        m = torch.jit.load(model + ".pt")
        for names in inputs:
            outs = m(*[arrays[n] for n in names])
            outs = outs if isinstance(outs, tuple) else (outs,)
            for i, t in enumerate(outs):
                np.save("%s_%s_out%d.npy" % (model, names[1], i), t.numpy())
)py";
  }

 protected:
  static Tensor npy(const std::string& name) { return read_npy(path(name + ".npy")); }

  static std::vector<Tensor> run(const std::string& model, const std::vector<std::string>& inputs) {
    std::vector<Tensor> in;
    for (const std::string& name : inputs) in.push_back(npy(name));
    return test::load_uncached(path(model + ".pt")).forward(in);
  }

  // LibTorch's outputs were saved under the name of the lengths input.
  static void expect_matches(const std::string& model, const std::vector<std::string>& inputs, size_t outputs) {
    const std::vector<Tensor> out = run(model, inputs);
    ASSERT_EQ(out.size(), outputs);
    for (size_t k = 0; k < outputs; ++k)
      test::expect_close(out[k], npy(model + "_" + inputs[1] + "_out" + std::to_string(k)), 1e-5,
                         "output " + std::to_string(k));
  }

  static std::string run_error(const std::string& model, const std::vector<std::string>& inputs) {
    try {
      run(model, inputs);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  }
};

TEST_F(PackedSequences, BidirectionalLstmPaddedBack) { expect_matches("tagger", {"tokens", "unsorted"}, 3); }
TEST_F(PackedSequences, TracedBidirectionalLstm) { expect_matches("tagger_traced", {"tokens", "unsorted"}, 3); }
TEST_F(PackedSequences, TimeMajorGruFromH0PaddedPastTheInput) { expect_matches("gru", {"xt", "sorted_t", "h0"}, 3); }
TEST_F(PackedSequences, LastStatesOfReluRnnAndProjectedLstm) { expect_matches("classifier", {"x", "unsorted"}, 1); }

// Without padding back, the longest sequence may be shorter than the input.
TEST_F(PackedSequences, LastStatesWhenEverySequenceIsShort) { expect_matches("classifier", {"x", "short"}, 1); }
TEST_F(PackedSequences, TracedLastStatesWhenEverySequenceIsShort) {
  expect_matches("classifier_traced", {"x", "short"}, 1);
}

TEST_F(PackedSequences, PackSequenceAndPadSequence) { expect_matches("sequences", {"a", "b"}, 3); }

TEST_F(PackedSequences, UnsortedLengthsWithEnforceSortedRaise) {
  const std::string message = run_error("gru", {"xt", "unsorted_t", "h0"});
  EXPECT_NE(message.find("must be sorted in decreasing order"), std::string::npos) << message;
}

TEST_F(PackedSequences, ZeroLengthRaises) {
  const std::string message = run_error("classifier", {"x", "zero"});
  EXPECT_NE(message.find("has to be greater than 0"), std::string::npos) << message;
}

TEST_F(PackedSequences, LengthBeyondThePaddedInputRaises) {
  const std::string message = run_error("classifier", {"x", "too_long"});
  EXPECT_NE(message.find("exceeds the 7 steps of the padded input"), std::string::npos) << message;
}

// LibTorch pads back only to the longest sequence, 5 of the input's 7 steps.
TEST_F(PackedSequences, PaddingBackShorterThanTheInputRaises) {
  const std::string message = run_error("tagger", {"tokens", "short"});
  EXPECT_NE(message.find("the longest sequence is shorter than the 7 steps"), std::string::npos) << message;
}

TEST_F(PackedSequences, PackedDataReachingAnotherOpIsRefused) {
  const std::string message = run_error("misuse", {"x", "unsorted"});
  EXPECT_NE(message.find("aten::relu"), std::string::npos) << message;
  EXPECT_NE(message.find("packed sequence"), std::string::npos) << message;
}

}  // namespace
}  // namespace wick
