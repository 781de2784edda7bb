#include "tools/command.h"

#include <cstdio>

#include "support/error.h"

namespace wick::tools {

const std::vector<Command>& commands() {
  static const std::vector<Command> all = {
      {"ir", "parse, verify and print an IR text file",
       "usage: wick ir [FILE.wir] [--no-verify]\n"
       "  Parses FILE (the bundled example graph when omitted), verifies it and prints it.\n",
       run_ir},
      {"inspect", "load a TorchScript .pt file and print its IR",
       "usage: wick inspect MODEL.pt [--method NAME]\n"
       "  Reads MODEL.pt without LibTorch and prints the IR of a method (forward by default).\n",
       run_inspect},
      {"run", "compile and run a model on the CPU or an NVIDIA GPU",
       "usage: wick run MODEL.pt --input A.npy|SHAPE [--input ...] --output-dir DIR\n"
       "                [--device cpu|cuda|cuda:N] [--threads N] [--seed S] [--method NAME] [--verbose]\n"
       "  Each --input is a .npy file, a shape such as 200x14 (seeded standard-normal\n"
       "  float32), or none for an Optional input left out; trailing Optional inputs may be\n"
       "  omitted. Writes DIR/output0.npy, DIR/output1.npy, ... (tuple outputs flattened in\n"
       "  order). --device cuda compiles PTX for the GPU and runs there (inputs and outputs\n"
       "  are copied). --verbose prints the time to load, to compile (per kernel, with cache\n"
       "  hits) and to execute.\n",
       run_run},
      {"compile", "compile a model ahead of time into a directory for deployment",
       "usage: wick compile MODEL.pt --input SPEC [--input ...] -o DIR\n"
       "                    [--dynamic-dim INPUT:DIM[:NAME] ...]\n"
       "                    [--target native|x86-64-v3|x86-64-v4] [--method NAME] [--verbose]\n"
       "                    [--device cpu|cuda] [--gpu-arch sm_NN[,sm_NN...]]\n"
       "  Compiles the model for one input signature and writes DIR: model.so (every kernel),\n"
       "  weights.bin, plan.bin and manifest.json, which run with the wick runtime alone\n"
       "  (libwick_runtime.so and its C API; see examples/deploy). Each SPEC is a shape such\n"
       "  as 200x14 (float32), a dtype and shape such as i64:8x16, or a .npy file whose dtype\n"
       "  and shape are used. --dynamic-dim makes dim DIM of input INPUT (both from 0) dynamic:\n"
       "  the directory runs any size there, e.g. --dynamic-dim 0:0 for any batch size. Dims\n"
       "  given without a NAME are one symbol, B, and must be equal in a run; NAME (a letter,\n"
       "  then letters, digits or _) gives a separate one. --target picks the CPUs the code\n"
       "  runs on: native (this CPU, the default), x86-64-v3 (AVX2) or x86-64-v4 (AVX-512).\n"
       "  Links model.so with the system C compiler ($CC, else cc). --device cuda builds for\n"
       "  NVIDIA GPUs (no GPU is needed to compile): DIR also gets gpu_kernels.bin, with PTX\n"
       "  for the oldest --gpu-arch (default sm_80,sm_90), which any newer GPU runs, and where\n"
       "  ptxas is found a cubin for each listed architecture; --target still names the host\n"
       "  CPU, which runs the executor.\n",
       run_compile},
      {"bench", "time a model with wick beside LibTorch",
       "usage: wick bench MODEL.pt --input A.npy|SHAPE [--input ...] [--threads N] [--iters N]\n"
       "                  [--warmup N] [--seed S] [--device cpu|cuda|cuda:N] [--tolerance E] [--json]\n"
       "  Runs the model with wick and with LibTorch (the peer plugin libwick_torch_peer.so,\n"
       "  found in ../lib next to wick or at $WICK_TORCH_PEER) on the same inputs and thread\n"
       "  count (default 1). Inputs are given as for `wick run`. Both run once and their outputs\n"
       "  must agree (relative error at most E, default 1e-4; a bf16 model needs about 2e-2),\n"
       "  then after N warm-up calls each (default 10) blocks of up to 10 calls alternate\n"
       "  between the two, each of wick's starting once LibTorch's threads have stopped\n"
       "  spinning, and each call is timed (default 100 each). Prints each side's median\n"
       "  time per call with the 10th-90th percentile spread and the speedup (LibTorch\n"
       "  median / wick median); --json adds one JSON object as the last line.\n"
       "  With --device cuda wick runs on the GPU (each call ends with its outputs on the\n"
       "  host) and LibTorch, on the CPU, only checks the outputs: it is not timed, and\n"
       "  without the plugin the outputs go unchecked.\n",
       run_bench},
      {"train", "train a model on a CSV table or .npy arrays and save it as a .pt",
       "usage: wick train MODEL.pt --data TRAIN.csv --target-cols COLS -o OUT.pt\n"
       "       wick train MODEL.pt --data X.npy --target Y.npy -o OUT.pt\n"
       "                  [--loss mse|l1|smooth_l1|huber|bce_with_logits|cross_entropy]\n"
       "                  [--optim sgd|adam|adamw] [--lr LR] [--momentum M] [--weight-decay W]\n"
       "                  [--epochs N] [--batch-size N] [--shuffle] [--seed S]\n"
       "                  [--valid VALID.csv | --valid VX.npy --valid-target VY.npy]\n"
       "                  [--history HIST.csv] [--threads N] [--device cpu|cuda|cuda:N]\n"
       "                  [--optimizer-state IN_OPT.pt] [--save-optimizer-state OUT_OPT.pt]\n"
       "  Trains MODEL on a numeric CSV file with a header row, or on .npy arrays. CSV: COLS\n"
       "  are the target columns, as 0-based indices or header names separated by commas;\n"
       "  the other F columns, in file order, are the features, fed as one f32 [B, F] input.\n"
       "  The targets are f32 [B, targets], except that one cross_entropy target column\n"
       "  holds class indices (i64 [B]). .npy: X holds the examples along its first dim, of\n"
       "  any dtype and shape (images, token ids), fed as they are; Y holds their targets,\n"
       "  f32, or for cross_entropy integer class indices (one per example). Batches of\n"
       "  --batch-size examples (default 200; the last may be smaller) go in file order, or\n"
       "  with --shuffle in a new order each epoch drawn from --seed (default 0). Defaults:\n"
       "  mse, sgd, --lr 0.01 for sgd and 0.001 for adam and adamw, 10 epochs. Prints each\n"
       "  epoch's train_loss (the mean of its batch losses) and, with --valid, valid_loss\n"
       "  (the eval-mode loss over the whole validation set); --history writes them as CSV.\n"
       "  Writes the trained model to OUT.pt, which LibTorch and R torch load. --device cuda\n"
       "  trains on the GPU: the parameters and optimizer state stay there between steps.\n"
       "  --save-optimizer-state writes the optimizer's state as torch.save(opt.state_dict())\n"
       "  does (for an optimizer on model.parameters()); --optimizer-state resumes from such\n"
       "  a file, wick's or PyTorch's, with this run's --lr and other settings.\n",
       run_train},
  };
  return all;
}

const char* usage_of(const std::string& name) {
  for (const auto& c : commands())
    if (name == c.name) return c.usage;
  return "";
}

bool wants_help(const Args& args) {
  for (const auto& a : args)
    if (a == "--help" || a == "-h") return true;
  return false;
}

void usage_error(const std::string& message, const char* usage) {
  throw Error(message + "\n" + usage);
}

}  // namespace wick::tools
