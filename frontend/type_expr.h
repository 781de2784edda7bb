// TorchScript type annotations (`Optional[List[int]]`, `Tuple[Tensor, Tensor]`,
// `Final[int]`) as IR types. Module class types have no IR type: the emitter
// keeps module objects out of the graph.
#pragma once

#include "frontend/ts_ast.h"
#include "ir/type.h"

namespace wick {

// Throws a user error (quoting the source) for types wick cannot represent,
// such as Dict or a class type.
ir::TypePtr type_from_annotation(const ts::Expr& e, const ts::SourceFile& file);

// True when the annotation names a TorchScript class (`__torch__.x.Y`).
bool is_class_annotation(const ts::Expr& e);

}  // namespace wick
