// torch.save's file format (PyTorch 1.6 and later): a zip whose one folder
// holds data.pkl (a pickle), the storages its tensors view as data/<key>,
// and version. read_torch_save reads what torch.save writes, through the
// pickle reader's allow-list (tensors, dicts, lists, tuples, numbers,
// strings, None); torch.load reads what write_torch_save writes
// (pickle_writer.h). Used for optimizer state (torch.optim's state_dict).
#pragma once

#include <string>

#include "frontend/pickle_value.h"

namespace wick {

// Throws wick::Error naming the file when it is not such a file.
PickleValue read_torch_save(const std::string& path);
// Writes through a temporary file renamed at the end; throws wick::Error
// when writing fails or the value cannot be pickled (pickle_for_torch).
void write_torch_save(const std::string& path, const PickleValue& value);

}  // namespace wick
