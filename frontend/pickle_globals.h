// The globals a TorchScript pickle may name, and what calling them means.
//
// A pickle can name any Python function and call it (GLOBAL then REDUCE), so
// the reader allows only what torch's own serializer writes: tensor rebuild
// functions (quantized tensors become the floats they stand for), storage
// types, the qschemes, collections.OrderedDict, torch.device, the
// torch.jit._pickle list and type-tag helpers, and TorchScript classes
// (`__torch__.*`, which become plain object records). Everything else is
// rejected by name when the GLOBAL opcode is read, so nothing is ever called.
#pragma once

#include <string>

#include "frontend/pickle_value.h"

namespace wick {

// A global value for GLOBAL/STACK_GLOBAL; throws wick::Error naming the global
// when it is not allowed.
PickleValue resolve_pickle_global(const std::string& module, const std::string& name);

// The storage element type a storage-type global stands for (torch.FloatStorage
// is f32); throws wick::Error when `v` is not a storage type.
DType storage_type_dtype(const PickleValue& v);
// The storage type torch names for elements of `dtype` ("FloatStorage").
const char* storage_type_name(DType dtype);

// REDUCE: calls `callable` (a global) with the tuple `args`.
PickleValue call_pickle_global(const PickleValue& callable, const PickleValue& args);

// NEWOBJ: `cls.__new__(cls, *args)`; only TorchScript classes with no arguments.
PickleValue new_pickle_object(const PickleValue& cls, const PickleValue& args);

}  // namespace wick
