#include "deploy_fixture.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli_runner.h"
#include "runtime/checksum.h"
#include "runtime/wick_runtime.h"
#include "test_paths.h"

namespace wick::testing {
namespace {

namespace fs = std::filesystem;

void truncate_by(const std::string& path, size_t n) {
  std::string b = read_bytes(path);
  write_bytes(path, b.substr(0, b.size() > n ? b.size() - n : 0));
}

void flip(const std::string& path, size_t from_end) {
  std::string b = read_bytes(path);
  b[b.size() - from_end] = static_cast<char>(b[b.size() - from_end] ^ 0x5a);
  write_bytes(path, b);
}

}  // namespace

std::vector<std::string> zoo_inputs(const std::string& model) {
  std::vector<std::string> inputs;
  for (int i = 0;; ++i) {
    std::string path = std::string(wick::test_paths::zoo_dir()) + "/" + model + ".input" + std::to_string(i) + ".npy";
    if (!fs::exists(path)) break;
    inputs.push_back(path);
  }
  return inputs;
}

std::string input_args(const std::vector<std::string>& inputs) {
  std::string args;
  for (const std::string& i : inputs) args += " --input " + i;
  return args;
}

ArtifactDir::ArtifactDir(const std::string& model, const std::string& tag, const std::string& extra,
                         const std::string& variant) {
  root_ = temp_dir("deploy_" + tag);
  const std::string dir = root_ + "/model";
  const std::string pt = std::string(wick::test_paths::zoo_dir()) + "/" + model + "." + variant + ".pt";
  CliResult r = run_wick("compile " + pt + input_args(zoo_inputs(model)) + " -o " + dir + " " + extra);
  EXPECT_EQ(r.status, 0) << r.err;
  if (r.status == 0) path_ = dir;
}

ArtifactDir::~ArtifactDir() {
  std::error_code ec;
  fs::remove_all(root_, ec);
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
  EXPECT_TRUE(out.good()) << "cannot write " << path;
}

void set_manifest_string(const std::string& dir, const std::string& key, const std::string& value) {
  std::string m = read_bytes(dir + "/manifest.json");
  const std::string prefix = "\"" + key + "\": \"";
  const size_t at = m.find(prefix);
  ASSERT_NE(at, std::string::npos) << key << " not in\n" << m;
  const size_t start = at + prefix.size(), end = m.find('"', start);
  m.replace(start, end - start, value);
  write_bytes(dir + "/manifest.json", m);
}

void edit_manifest(const std::string& dir, const std::string& from, const std::string& to) {
  std::string m = read_bytes(dir + "/manifest.json");
  const size_t at = m.find(from);
  ASSERT_NE(at, std::string::npos) << from << " not in\n" << m;
  m.replace(at, from.size(), to);
  write_bytes(dir + "/manifest.json", m);
}

void reseal(const std::string& dir, const std::string& file, const std::string& old_bytes) {
  const std::string bytes = read_bytes(dir + "/" + file);
  const std::string manifest = read_bytes(dir + "/manifest.json");
  const size_t entry = manifest.find("\"" + file + "\": {\"bytes\": ");
  ASSERT_NE(entry, std::string::npos);
  const size_t sum = manifest.find("\"xxh64\": \"", entry);
  ASSERT_NE(sum, std::string::npos);
  std::string edited = manifest;
  edited.replace(sum + 10, 16, rt::hex64(rt::xxh64(bytes)));
  write_bytes(dir + "/manifest.json", edited);
  edit_manifest(dir, "\"" + file + "\": {\"bytes\": " + std::to_string(old_bytes.size()),
                "\"" + file + "\": {\"bytes\": " + std::to_string(bytes.size()));
}

const std::vector<Damage>& artifact_damages() {
  static const std::vector<Damage> all = {
      {"OtherWickVersion",
       [](const std::string& d, const std::string&) { set_manifest_string(d, "wick_version", "0.0.1"); },
       WICK_ERROR_ARTIFACT, "compiled by wick 0.0.1, but this runtime is wick", ""},
      {"OtherFormatVersion",
       [](const std::string& d, const std::string&) { edit_manifest(d, "\"format_version\": 1", "\"format_version\": 7"); },
       WICK_ERROR_ARTIFACT, "artifact format version 7, but this runtime reads versions 1 to 4", "manifest.json"},
      {"OtherArchitecture",
       [](const std::string& d, const std::string&) { set_manifest_string(d, "arch", "aarch64"); },
       WICK_ERROR_CPU, "compiled for aarch64", ""},
      {"CpuFeatureMissing",
       [](const std::string& d, const std::string&) {
         edit_manifest(d, "\"required_features\": [", "\"required_features\": [\"no-such-feature\", ");
       },
       WICK_ERROR_CPU, "needs CPU features this CPU lacks: no-such-feature", ""},
      {"MissingDirectory", [](const std::string& d, const std::string&) { fs::remove_all(d); }, WICK_ERROR_ARTIFACT,
       "cannot open the model directory: No such file or directory", ""},
      {"NotADirectory",
       [](const std::string& d, const std::string&) {
         fs::remove_all(d);
         write_bytes(d, "x");
       },
       WICK_ERROR_ARTIFACT, "not a directory", ""},
      {"MissingManifest", [](const std::string& d, const std::string&) { fs::remove(d + "/manifest.json"); },
       WICK_ERROR_ARTIFACT, "cannot open: No such file or directory", "manifest.json"},
      {"MissingPlan", [](const std::string& d, const std::string&) { fs::remove(d + "/plan.bin"); }, WICK_ERROR_ARTIFACT,
       "cannot open: No such file or directory", "plan.bin"},
      {"MissingWeights", [](const std::string& d, const std::string&) { fs::remove(d + "/weights.bin"); },
       WICK_ERROR_ARTIFACT, "cannot open: No such file or directory", "weights.bin"},
      {"MissingLibrary", [](const std::string& d, const std::string&) { fs::remove(d + "/model.so"); },
       WICK_ERROR_ARTIFACT, "cannot open: No such file or directory", "model.so"},
      {"MalformedManifest",
       [](const std::string& d, const std::string&) { write_bytes(d + "/manifest.json", read_bytes(d + "/manifest.json").substr(0, 40)); },
       WICK_ERROR_ARTIFACT, "unterminated string", "manifest.json"},
      {"TruncatedWeights", [](const std::string& d, const std::string&) { truncate_by(d + "/weights.bin", 100); },
       WICK_ERROR_ARTIFACT, "weights file layout does not match its size", "weights.bin"},
      {"WeightsChecksum", [](const std::string& d, const std::string&) { flip(d + "/weights.bin", 1); },
       WICK_ERROR_ARTIFACT, "weights data checksum mismatch", "weights.bin"},
      {"WeightsFromAnotherBuild",
       [](const std::string& d, const std::string& other) { write_bytes(d + "/weights.bin", read_bytes(other + "/weights.bin")); },
       WICK_ERROR_ARTIFACT, "the manifest", "weights.bin"},
      {"TruncatedPlan", [](const std::string& d, const std::string&) { truncate_by(d + "/plan.bin", 10); },
       WICK_ERROR_ARTIFACT, "the manifest says", "plan.bin"},
      {"CorruptPlanWithMatchingManifest",
       [](const std::string& d, const std::string&) {
         const std::string old = read_bytes(d + "/plan.bin");
         flip(d + "/plan.bin", 3);
         reseal(d, "plan.bin", old);
       },
       WICK_ERROR_ARTIFACT, "plan checksum mismatch", "plan.bin"},
      // A plan edited consistently (its own checksum and the manifest's
      // redone) no longer matches the identity the library was built with.
      {"EditedPlanWithMatchingManifest",
       [](const std::string& d, const std::string&) {
         const std::string old = read_bytes(d + "/plan.bin");
         std::string edited = old;
         edited[40] = static_cast<char>(edited[40] ^ 1);
         const uint64_t sum = rt::xxh64(std::string_view(edited).substr(32));  // the header's payload checksum
         std::memcpy(edited.data() + 24, &sum, sizeof sum);
         write_bytes(d + "/plan.bin", edited);
         reseal(d, "plan.bin", old);
       },
       WICK_ERROR_ARTIFACT, "its identity does not match", "model.so"},
      {"CorruptLibrary", [](const std::string& d, const std::string&) { flip(d + "/model.so", 100); },
       WICK_ERROR_ARTIFACT, "does not match the manifest's", "model.so"},
      {"LibraryFromAnotherBuild",
       [](const std::string& d, const std::string& other) {
         const std::string old = read_bytes(d + "/model.so");
         write_bytes(d + "/model.so", read_bytes(other + "/model.so"));
         reseal(d, "model.so", old);
       },
       WICK_ERROR_ARTIFACT, "its identity does not match the manifest's", "model.so"},
  };
  return all;
}

}  // namespace wick::testing
