// Where the tests find the sources, the build tree and the model zoo. The
// paths are compiled into one object only, so that every other test object
// is the same in every checkout (and a compiler cache shares them).
#pragma once

#include <string>

namespace wick::test_paths {

std::string source_dir();  // the repository
std::string binary_dir();  // the build tree
std::string zoo_dir();     // the model zoo, in the build tree

}  // namespace wick::test_paths
