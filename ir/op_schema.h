// Aten-style operator schemas, parsed from the strings in the op table, e.g.
//   aten::add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor
// Schema argument types map onto IR types: int and SymInt to Int, Scalar to
// Number, ScalarType/Layout/MemoryFormat to Int, type variables to Any. Alias
// annotations such as Tensor(a!) are accepted and dropped.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ir/attribute.h"
#include "ir/type.h"

namespace wick::ir {

struct SchemaArg {
  std::string name;
  TypePtr type;
  std::optional<AttrValue> default_value;
  int fixed_list_size = 0;  // N in int[N]: a single int also fills the list
  bool keyword_only = false;
};

struct Schema {
  std::string ns;        // "aten", "prim"
  std::string name;      // "add"
  std::string overload;  // "Tensor"; empty when the op has one form
  std::vector<SchemaArg> args;
  std::vector<SchemaArg> returns;
  bool variadic_args = false;     // (...)
  bool variadic_returns = false;  // -> ...

  std::string qualified_name() const;  // "aten::add.Tensor"
  std::string base_name() const;       // "aten::add"
  std::string str() const;             // canonical text of the schema
};

// Throws wick::InternalError on malformed text: schemas are wick's own data.
Schema parse_schema(std::string_view text);

}  // namespace wick::ir
