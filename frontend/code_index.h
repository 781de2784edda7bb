// The TorchScript sources of one archive, parsed and indexed: classes and
// free functions by their qualified name (`__torch__.torch.nn.modules.linear.Linear`,
// `__torch__.torch.nn.functional.layer_norm`), as the pickled objects and the
// code refer to them.
#pragma once

#include <map>
#include <optional>
#include <memory>
#include <string>
#include <vector>

#include "frontend/ts_ast.h"

namespace wick {

class CodeIndex {
 public:
  struct Class {
    std::string name;  // qualified
    const ts::ClassDef* def;
    const ts::SourceFile* file;
  };
  struct Function {
    std::string name;  // qualified; for methods "<class>.<method>"
    const ts::FunctionDef* def;
    const ts::SourceFile* file;
  };

  // `code_files` maps archive entry names ("code/__torch__/zoo.py") to their
  // text; `archive` prefixes file names in error messages.
  CodeIndex(const std::map<std::string, std::string>& code_files, const std::string& archive);

  const Class* find_class(const std::string& qualified_name) const;
  const Function* find_function(const std::string& qualified_name) const;
  // A method of a class, or null.
  std::optional<Function> method(const Class& c, const std::string& name) const;
  // A class-level constant such as `in_features : Final[int] = 4`, or null.
  const ts::Expr* class_constant(const Class& c, const std::string& name) const;
  // The names listed in `__parameters__` / `__buffers__` of a class body.
  std::vector<std::string> string_list(const Class& c, const std::string& name) const;

 private:
  std::vector<std::unique_ptr<ts::SourceFile>> files_;
  std::map<std::string, Class> classes_;
  std::map<std::string, Function> functions_;
};

}  // namespace wick
