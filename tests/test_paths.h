// Where the tests find the sources, the build tree and the model zoo. The
// paths are compiled into one object only, so that every other test object
// is the same in every checkout (and a compiler cache shares them).
#pragma once

#include <string>

namespace wick::test_paths {

std::string source_dir();  // the repository
std::string binary_dir();  // the build tree
std::string zoo_dir();     // the model zoo, in the build tree
// The zoo's file of `model` in its scripted variant, or its traced one for
// a model saved traced only (zoo.py's variants); its references share the
// name with "pt" replaced.
std::string zoo_model(const std::string& model);

}  // namespace wick::test_paths
