// A pickle writer for the values torch.save writes and torch.load reads
// back: protocol 2 (torch.save's default), with None, bools, ints, floats,
// strings, tuples, lists, dicts and tensors. A tensor is written as torch
// writes one: torch._utils._rebuild_tensor_v2 over a storage named by the
// persistent id ('storage', torch.<Type>Storage, key, 'cpu', numel), at
// offset 0 with its sizes, contiguous strides, requires_grad and an empty
// OrderedDict of hooks. Its bytes are the caller's to store under the key.
#pragma once

#include <string>
#include <vector>

#include "frontend/pickle_value.h"
#include "support/tensor.h"

namespace wick {

struct Pickled {
  std::string bytes;
  // Contiguous host tensors, in the order the pickle names them: storage i
  // has the key std::to_string(i).
  std::vector<Tensor> storages;
};

// Throws wick::Error for a value of a kind torch.load would not read back
// (objects, devices, globals) or a tensor not in host memory.
Pickled pickle_for_torch(const PickleValue& value);

}  // namespace wick
