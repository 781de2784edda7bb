#include "test_paths.h"

namespace wick::test_paths {

std::string source_dir() { return WICK_SOURCE_DIR; }
std::string binary_dir() { return WICK_BINARY_DIR; }
std::string zoo_dir() { return WICK_BINARY_DIR "/zoo"; }

}  // namespace wick::test_paths
