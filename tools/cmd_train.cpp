// `wick train MODEL.pt --data train.csv --target-cols 14 -o trained.pt`: trains
// a TorchScript model on a numeric CSV table, or on .npy arrays
// (`--data X.npy --target Y.npy`), with wick::Trainer (one compiled step per
// batch: forward, loss, backward, optimizer update) and writes the trained
// model as a .pt that LibTorch and R torch load.
//
// A CSV's features are the non-target columns in file order, fed as one f32
// [B, F] input; a .npy's are its examples as they are. Per epoch, train_loss is the mean of the epoch's per-batch losses
// (each the loss's own mean over its batch); valid_loss is the loss over the
// whole validation set in eval mode, computed in batches and weighted by batch
// size, which for these mean-reduced losses equals the full-set loss.
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "api/compiled_graph.h"
#include "api/trainer.h"
#include "support/error.h"
#include "tools/command.h"
#include "tools/train_data.h"

namespace wick::tools {

namespace {

struct TrainArgs {
  std::string model, data, valid, history, output;
  std::string optimizer_state, save_optimizer_state;  // torch.save files of the optimizer's state_dict
  std::vector<std::string> targets;           // CSV: the target columns
  std::string target_file, valid_target_file;  // .npy: the targets' arrays
  std::string loss = "mse", optimizer = "sgd";
  double lr = -1;  // -1: the optimizer's default
  double momentum = 0, weight_decay = 0;
  bool momentum_given = false;
  int64_t epochs = 10, batch_size = 200;
  bool shuffle = false;
  uint64_t seed = 0;
  int threads = 0;
  std::string device = "cpu";
};

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t comma = s.find(',', start);
    out.push_back(s.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) return out;
    start = comma + 1;
  }
}

TrainArgs parse_args(const Args& args, const char* usage) {
  TrainArgs a;
  auto value = [&](size_t& i) -> const std::string& {
    if (i + 1 >= args.size()) usage_error(args[i] + " needs a value", usage);
    return args[++i];
  };
  auto real = [&](size_t& i, double lo, bool lo_open) {
    const std::string& opt = args[i];
    const std::string& v = value(i);
    char* end = nullptr;
    double x = std::strtod(v.c_str(), &end);
    if (v.empty() || *end || !std::isfinite(x) || x < lo || (lo_open && x == lo))
      usage_error("bad value for " + opt + ": " + v + (lo_open ? " (must be > 0)" : " (must be >= 0)"), usage);
    return x;
  };
  auto integer = [&](size_t& i, long long lo, long long hi) {
    const std::string& opt = args[i];
    const std::string& v = value(i);
    char* end = nullptr;
    errno = 0;
    long long x = std::strtoll(v.c_str(), &end, 10);
    if (v.empty() || *end || errno || x < lo || x > hi)
      usage_error("bad value for " + opt + ": " + v + " (an integer from " + std::to_string(lo) + " to " +
                      std::to_string(hi) + ")",
                  usage);
    return x;
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& s = args[i];
    if (s == "--data") a.data = value(i);
    else if (s == "--valid") a.valid = value(i);
    else if (s == "--target") a.target_file = value(i);
    else if (s == "--valid-target") a.valid_target_file = value(i);
    else if (s == "--history") a.history = value(i);
    else if (s == "-o" || s == "--output") a.output = value(i);
    else if (s == "--target-cols") {
      a.targets = split_commas(value(i));
      for (const std::string& t : a.targets)
        if (t.empty()) usage_error("bad value for --target-cols: '" + args[i] + "' has an empty entry", usage);
    } else if (s == "--loss") a.loss = value(i);
    else if (s == "--optim" || s == "--optimizer") a.optimizer = value(i);
    else if (s == "--lr") a.lr = real(i, 0, true);
    else if (s == "--momentum") a.momentum = real(i, 0, false), a.momentum_given = true;
    else if (s == "--weight-decay") a.weight_decay = real(i, 0, false);
    else if (s == "--epochs") a.epochs = integer(i, 1, 1000000000);
    else if (s == "--batch-size") a.batch_size = integer(i, 1, int64_t{1} << 40);
    else if (s == "--seed") a.seed = static_cast<uint64_t>(integer(i, 0, INT64_MAX));
    else if (s == "--threads") a.threads = static_cast<int>(integer(i, 1, 1024));
    else if (s == "--shuffle") a.shuffle = true;
    else if (s == "--device") a.device = value(i);
    else if (s == "--optimizer-state") a.optimizer_state = value(i);
    else if (s == "--save-optimizer-state") a.save_optimizer_state = value(i);
    else if (!s.empty() && s[0] == '-') usage_error("unknown option " + s, usage);
    else if (a.model.empty()) a.model = s;
    else usage_error("more than one model given", usage);
  }
  if (a.model.empty()) usage_error("no model given", usage);
  if (a.data.empty()) usage_error("--data is required", usage);
  if (a.targets.empty() && a.target_file.empty())
    usage_error("--target-cols (for a CSV --data) or --target (for a .npy --data) is required", usage);
  if (!a.targets.empty() && !a.target_file.empty())
    usage_error("--target-cols and --target both given: a CSV --data takes --target-cols, a .npy one --target",
                usage);
  if (a.target_file.empty() && !a.valid_target_file.empty())
    usage_error("--valid-target goes with --target (.npy data); a CSV --valid takes the --target-cols", usage);
  if (!a.target_file.empty() && !a.valid.empty() && a.valid_target_file.empty())
    usage_error("--valid with .npy data needs --valid-target, the validation targets", usage);
  if (!a.valid_target_file.empty() && a.valid.empty()) usage_error("--valid-target needs --valid", usage);
  if (a.output.empty()) usage_error("-o is required (where to write the trained model)", usage);
  try {
    cuda_device_index(a.device);
  } catch (const Error& e) {
    usage_error(e.message(), usage);
  }
  return a;
}

// Fails before training when a file could not be written at the end.
void check_writable_dir(const std::string& path, const char* what) {
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!dir.empty() && !std::filesystem::is_directory(dir, ec))
    throw Error(std::string("the directory for ") + what + " does not exist", {dir.string()});
  if (std::filesystem::is_directory(path, ec))
    throw Error(std::string("is a directory; ") + what + " takes a file name", {path});
}

// One epoch's progress on stderr when it is a terminal: a bar redrawn in place
// at most ten times a second, erased when the epoch ends.
class Progress {
 public:
  explicit Progress(bool enabled) : enabled_(enabled) {}
  void update(int64_t epoch, int64_t epochs, int64_t done, int64_t total, double mean_loss) {
    if (!enabled_) return;
    auto now = std::chrono::steady_clock::now();
    if (done < total && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    const int width = 30;
    int filled = static_cast<int>(width * done / std::max<int64_t>(total, 1));
    std::string bar(static_cast<size_t>(filled), '=');
    bar.resize(width, ' ');
    std::fprintf(stderr, "\r\033[Kepoch %lld/%lld [%s] %lld/%lld batches  loss %.6g", static_cast<long long>(epoch),
                 static_cast<long long>(epochs), bar.c_str(), static_cast<long long>(done),
                 static_cast<long long>(total), mean_loss);
    std::fflush(stderr);
  }
  void clear() {
    if (!enabled_) return;
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
  }

 private:
  bool enabled_;
  std::chrono::steady_clock::time_point last_{};
};

// Class indices must name one of the model's classes; the loss would
// silently count an index past the last class as zero. The class count is
// the model's output dim 1 for the first training batch.
void check_class_indices(Trainer& trainer, const Batch& first, const TrainData& data, const TrainData* valid) {
  std::vector<Tensor> out = trainer.predict({first.features});
  if (out.size() != 1 || out[0].dim() != 2) return;  // the loss reports the mismatch
  data.check_classes(out[0].size(1));
  if (valid) valid->check_classes(out[0].size(1));
}

// The loss over a whole set in eval mode, in batches weighted by size.
double evaluate_set(Trainer& trainer, const TrainData& set, int64_t batch_size) {
  std::vector<int64_t> rows(static_cast<size_t>(set.rows()));
  for (int64_t i = 0; i < set.rows(); ++i) rows[static_cast<size_t>(i)] = i;
  double sum = 0;
  for (int64_t start = 0; start < set.rows(); start += batch_size) {
    int64_t count = std::min(batch_size, set.rows() - start);
    Batch b = set.gather(rows.data() + start, count);
    sum += trainer.evaluate({b.features}, b.targets) * static_cast<double>(count);
  }
  return sum / static_cast<double>(set.rows());
}

}  // namespace

int run_train(const Args& args) {
  const char* usage = usage_of("train");
  if (wants_help(args)) {
    std::printf("%s", usage);
    return 0;
  }
  TrainArgs a = parse_args(args, usage);

  LossConfig loss;
  OptimizerConfig optim;
  try {
    loss.kind = loss_from_name(a.loss);
    optim.kind = optimizer_from_name(a.optimizer);
  } catch (const Error& e) {
    usage_error(e.message(), usage);
  }
  if (a.momentum_given && optim.kind != OptimizerKind::sgd) usage_error("--momentum applies to --optim sgd only", usage);
  optim.lr = a.lr > 0 ? a.lr : optim.kind == OptimizerKind::sgd ? 0.01 : 0.001;
  optim.momentum = a.momentum;
  optim.weight_decay = a.weight_decay;
  // cross_entropy takes one column of class indices, or one column of class
  // probabilities per class.
  const bool cross_entropy = loss.kind == LossKind::cross_entropy;
  check_writable_dir(a.output, "-o");
  if (!a.history.empty()) check_writable_dir(a.history, "--history");
  if (!a.save_optimizer_state.empty()) check_writable_dir(a.save_optimizer_state, "--save-optimizer-state");
  if (!std::filesystem::exists(a.model)) throw Error("no such model file", {a.model});

  auto read_set = [&](const std::string& file, const std::string& target_file) {
    return a.target_file.empty() ? read_csv_data(file, a.targets, cross_entropy && a.targets.size() == 1)
                                 : read_npy_data(file, target_file, cross_entropy);
  };
  std::unique_ptr<TrainData> data = read_set(a.data, a.target_file);
  std::unique_ptr<TrainData> valid;
  if (!a.valid.empty()) {
    valid = read_set(a.valid, a.valid_target_file);
    valid->check_matches(*data);
  }

  std::ofstream history;
  if (!a.history.empty()) {
    history.open(a.history, std::ios::binary | std::ios::trunc);
    if (!history) throw Error("cannot write the history file", {a.history});
    history << "epoch,train_loss" << (a.valid.empty() ? "" : ",valid_loss") << "\n";
    history.flush();
  }

  if (a.threads > 0) set_num_threads(a.threads);
  TrainerOptions topts;
  topts.seed = a.seed;
  topts.device = a.device;
  Trainer trainer(a.model, loss, optim, topts);
  if (!a.optimizer_state.empty()) trainer.load_optimizer(a.optimizer_state);

  std::mt19937_64 rng(a.seed);
  const int64_t examples = data->rows();
  std::vector<int64_t> order(static_cast<size_t>(examples));
  for (int64_t i = 0; i < examples; ++i) order[static_cast<size_t>(i)] = i;
  const int64_t batches = (examples + a.batch_size - 1) / a.batch_size;
  Progress progress(::isatty(::fileno(stderr)) != 0);
  char line[256];

  if (data->class_targets()) {
    Batch first = data->gather(order.data(), std::min(a.batch_size, examples));
    check_class_indices(trainer, first, *data, valid.get());
  }

  for (int64_t epoch = 1; epoch <= a.epochs; ++epoch) {
    auto t0 = std::chrono::steady_clock::now();
    if (a.shuffle) order = shuffled_rows(examples, rng);
    double sum = 0;
    for (int64_t b = 0; b < batches; ++b) {
      const int64_t start = b * a.batch_size, count = std::min(a.batch_size, examples - start);
      Batch batch = data->gather(order.data() + start, count);
      double batch_loss = 0;
      try {
        batch_loss = trainer.step({batch.features}, batch.targets);
      } catch (const Error& e) {
        progress.clear();
        const std::string context = "(training batch " + std::to_string(b + 1) + " of epoch " +
                                    std::to_string(epoch) + ": " + data->describe(batch) + ")";
        // After the source line when there is one, so that it stays next to its message.
        if (e.source_line().empty()) throw Error(e.message() + "\n  " + context, e.where(), e.op());
        throw Error(e.message(), e.where(), e.op(), e.source_line() + "\n  " + context);
      }
      if (!std::isfinite(batch_loss)) {
        progress.clear();
        throw Error("epoch " + std::to_string(epoch) + ", batch " + std::to_string(b + 1) + ": the loss is " +
                        std::to_string(batch_loss) +
                        "; the learning rate may be too large, or the data may hold NaN or need scaling",
                    {a.data});
      }
      sum += batch_loss;
      progress.update(epoch, a.epochs, b + 1, batches, sum / static_cast<double>(b + 1));
    }
    const double train_loss = sum / static_cast<double>(batches);
    progress.clear();
    double valid_loss = 0;
    if (valid) valid_loss = evaluate_set(trainer, *valid, a.batch_size);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (a.valid.empty())
      std::snprintf(line, sizeof line, "epoch %lld/%lld  train_loss %.6g  (%.2f s)", static_cast<long long>(epoch),
                    static_cast<long long>(a.epochs), train_loss, seconds);
    else
      std::snprintf(line, sizeof line, "epoch %lld/%lld  train_loss %.6g  valid_loss %.6g  (%.2f s)",
                    static_cast<long long>(epoch), static_cast<long long>(a.epochs), train_loss, valid_loss, seconds);
    std::printf("%s\n", line);
    std::fflush(stdout);
    if (history.is_open()) {
      std::snprintf(line, sizeof line, "%lld,%.9g", static_cast<long long>(epoch), train_loss);
      history << line;
      if (!a.valid.empty()) {
        std::snprintf(line, sizeof line, ",%.9g", valid_loss);
        history << line;
      }
      history << "\n";
      history.flush();
      if (!history) throw Error("cannot write the history file", {a.history});
    }
  }
  trainer.save(a.output);
  std::printf("wrote %s (%lld steps)\n", a.output.c_str(), static_cast<long long>(trainer.steps()));
  if (!a.save_optimizer_state.empty()) {
    trainer.save_optimizer(a.save_optimizer_state);
    std::printf("wrote %s\n", a.save_optimizer_state.c_str());
  }
  return 0;
}

}  // namespace wick::tools
