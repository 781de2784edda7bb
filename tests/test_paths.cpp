#include "test_paths.h"

#include <filesystem>

namespace wick::test_paths {

std::string source_dir() { return WICK_SOURCE_DIR; }
std::string binary_dir() { return WICK_BINARY_DIR; }
std::string zoo_dir() { return WICK_BINARY_DIR "/zoo"; }

std::string zoo_model(const std::string& model) {
  const std::string scripted = zoo_dir() + "/" + model + ".scripted.pt";
  return std::filesystem::exists(scripted) ? scripted : zoo_dir() + "/" + model + ".traced.pt";
}

}  // namespace wick::test_paths
