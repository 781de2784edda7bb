// Writing a TorchScript archive back with new tensor values (a trained
// model): every entry of the original archive is copied unchanged, code,
// pickles and constants included, except the storages (data/<key>) of the
// module's tensors, whose bytes become the values `module` holds now. A
// tensor is matched to the module by its attribute path in data.pkl (the
// names the loader gave it) and written at its own offset and strides, so a
// storage several tensors view is rewritten consistently and bytes no
// tensor views keep their old values. LibTorch's torch.jit.load and R
// torch's jit_load read the result (zip_writer.h).
#pragma once

#include <string>

#include "frontend/pt_archive.h"
#include "ir/module.h"

namespace wick {

// Writes to `path` through a temporary file renamed at the end, so `path`
// may be the archive's own file. Throws wick::Error when writing fails or
// a module tensor no longer fits the tensor it replaces (dtype, sizes).
void write_pt(const PtArchive& archive, const ir::Module& module, const std::string& path);

}  // namespace wick
