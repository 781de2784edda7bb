// wick::Trainer with the `output` loss, where the model computes its own
// loss, against torch.optim on the same .pt, weights and batches: a frame
// tagger whose forward returns its CTC loss (and its log-probabilities),
// trained with Adam on its four inputs, and a regression whose loss torch
// has no name for (mean |Wx + b - y|^1.5), whose target step() passes as the
// model's last input, trained with SGD and momentum. Every step's loss
// within a relative 1e-4 of torch's, the trained tagger's log-probabilities
// within 1e-4. A model whose first output is no 0-d loss is refused.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "api/trainer.h"
#include "runtime/npy.h"
#include "tests/api/jit_helpers.h"
#include "tests/frontend/python_files.h"

namespace wick {
namespace {

using test::relative_error;

class OwnLoss : public test::PythonFiles<OwnLoss> {
 public:
  static const char* tag() { return "trainer_own_loss"; }
  static std::string script() {
    return R"py(
import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from typing import Tuple


class CtcTagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(8, 16)
        self.out = nn.Linear(16, 5)

    def forward(self, x: Tensor, targets: Tensor, input_lengths: Tensor,
                target_lengths: Tensor) -> Tuple[Tensor, Tensor]:
        lp = self.out(torch.tanh(self.hidden(x))).log_softmax(2).transpose(0, 1)
        return F.ctc_loss(lp, targets, input_lengths, target_lengths), lp


class PowerLoss(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(6, 3)

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        return (self.lin(x) - y).abs().pow(1.5).mean()


class Plain(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(6, 3)

    def forward(self, x: Tensor) -> Tensor:
        return self.lin(x)


torch.manual_seed(0)
torch.jit.script(CtcTagger()).save("ctc_tagger.pt")
torch.jit.script(PowerLoss()).save("power_loss.pt")
torch.jit.script(Plain()).save("plain.pt")
torch.seed()  # fresh batches on every run
torch.set_num_threads(1)


def ctc_batch():
    b = 4
    return (torch.randn(b, 10, 8), torch.randint(1, 5, (b, 3)), torch.randint(7, 11, (b,)),
            torch.randint(1, 4, (b,)))


def train(model_file, batches, opt_of, tag):
    model = torch.jit.load(model_file)
    model.train()
    opt = opt_of(model.parameters())
    losses = []
    for epoch in range(2):
        for k, batch in enumerate(batches):
            if epoch == 0:
                for i, t in enumerate(batch):
                    np.save(f"{tag}_b{k}_in{i}.npy", t.numpy())
            opt.zero_grad()
            out = model(*batch)
            loss = out[0] if isinstance(out, tuple) else out
            loss.backward()
            opt.step()
            losses.append(loss.item())
    np.save(f"{tag}_losses.npy", np.array(losses))
    return model


tagger = train("ctc_tagger.pt", [ctc_batch() for _ in range(3)],
               lambda p: torch.optim.Adam(p, lr=0.01), "ctc")
tagger.eval()
eval_batch = ctc_batch()
for i, t in enumerate(eval_batch):
    np.save(f"ctc_eval_in{i}.npy", t.numpy())
with torch.no_grad():
    np.save("ctc_eval_lp.npy", tagger(*eval_batch)[1].contiguous().numpy())
train("power_loss.pt", [(torch.randn(16, 6), torch.randn(16, 3)) for _ in range(3)],
      lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9), "power")
)py";
  }

  // Trains `model` as the script did, the batches' last input as step()'s
  // target when `target_last`; each step's loss against torch's.
  static void expect_steps_match(Trainer& t, const std::string& tag, int inputs, bool target_last) {
    const Tensor want = read_npy(path(tag + "_losses.npy"));
    ASSERT_EQ(want.numel(), 6);
    for (int step = 0; step < 6; ++step) {
      std::vector<Tensor> batch;
      for (int i = 0; i < inputs; ++i)
        batch.push_back(read_npy(path(tag + "_b" + std::to_string(step % 3) + "_in" + std::to_string(i) + ".npy")));
      Tensor target;
      if (target_last) {
        target = batch.back();
        batch.pop_back();
      }
      const double loss = t.step(batch, target);
      const double ref = want.data_as<double>()[step];
      EXPECT_LE(std::abs(loss - ref), 1e-4 * std::abs(ref)) << tag << " step " << step << ": " << loss << " vs " << ref;
    }
  }
};

TEST_F(OwnLoss, CtcTaggerTrainsAsTorchOptim) {
  OptimizerConfig adam;
  adam.kind = OptimizerKind::adam;
  adam.lr = 0.01;
  Trainer t(path("ctc_tagger.pt"), {LossKind::output}, adam);
  expect_steps_match(t, "ctc", 4, false);
  std::vector<Tensor> eval;
  for (int i = 0; i < 4; ++i) eval.push_back(read_npy(path("ctc_eval_in" + std::to_string(i) + ".npy")));
  const std::vector<Tensor> out = t.predict(eval);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_LE(relative_error(out[1], read_npy(path("ctc_eval_lp.npy")), "log_probs"), 1e-4);
}

TEST_F(OwnLoss, TargetIsTheModelsLastInput) {
  OptimizerConfig sgd;
  sgd.lr = 0.05;
  sgd.momentum = 0.9;
  Trainer t(path("power_loss.pt"), {loss_from_name("output")}, sgd);
  expect_steps_match(t, "power", 2, true);
}

TEST_F(OwnLoss, FirstOutputMustBeALoss) {
  Trainer t(path("plain.pt"), {LossKind::output}, OptimizerConfig{});
  try {
    t.step({read_npy(path("power_b0_in0.npy"))}, Tensor());
    FAIL() << "trained on an output that is no loss";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("the output loss trains on the model's first output, which must be its loss"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace wick
