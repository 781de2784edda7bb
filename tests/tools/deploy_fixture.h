// Shared by the deployment tests: compiling zoo models with `wick compile`
// into fresh directories, and the ways a compiled directory can be damaged,
// each with the status and message the runtime must answer with. The C API
// test and the wick-deploy-run test both walk the same list.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace wick::testing {

// The zoo's input files for `model` (<zoo>/<model>.input<i>.npy).
std::vector<std::string> zoo_inputs(const std::string& model);
// " --input A --input B ..." for those files.
std::string input_args(const std::vector<std::string>& inputs);

// A zoo model (<zoo>/<model>.<variant>.pt) compiled with `wick compile` for
// its zoo inputs into a fresh directory, removed again on destruction.
// `extra` is appended to the command line; a failing compile fails the test
// and leaves path() empty.
class ArtifactDir {
 public:
  ArtifactDir(const std::string& model, const std::string& tag, const std::string& extra = "",
              const std::string& variant = "scripted");
  ~ArtifactDir();
  ArtifactDir(const ArtifactDir&) = delete;
  ArtifactDir& operator=(const ArtifactDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string root_, path_;
};

std::string read_bytes(const std::string& path);
void write_bytes(const std::string& path, const std::string& bytes);
// Replaces the first occurrence of `from` in DIR/manifest.json.
void edit_manifest(const std::string& dir, const std::string& from, const std::string& to);
// Sets the first string member named `key` in DIR/manifest.json to `value`.
void set_manifest_string(const std::string& dir, const std::string& key, const std::string& value);
// The manifest's entry for DIR/`file` (whose manifest size was that of
// `old_bytes`) updated to the file's current size and whole-file checksum, so
// that only the file's own checks can object.
void reseal(const std::string& dir, const std::string& file, const std::string& old_bytes);

struct Damage {
  const char* name;
  // Damages the directory compiled from the model (`other` is a second,
  // different artifact to borrow files from).
  void (*apply)(const std::string& dir, const std::string& other);
  int status;           // the wick_status wick_model_open must return
  const char* message;  // text the error message must contain
  const char* file;     // the file the message must name ("" = the directory)
};

const std::vector<Damage>& artifact_damages();

// For test names and failure messages.
inline void PrintTo(const Damage& d, std::ostream* os) { *os << d.name; }

}  // namespace wick::testing
