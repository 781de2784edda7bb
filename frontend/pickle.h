// A pickle reader for the subset TorchScript writes (data.pkl, constants.pkl).
//
// torch's serializer writes protocol 2 pickles; Python's pickler, used by
// torch.save, may also write protocol 4/5 framing. This reader understands
// the opcodes of both that occur in such files and produces a PickleValue
// tree. It never calls anything: globals are checked against an allow-list
// when read (see pickle_globals.h), and tensor storages named by persistent
// ids are fetched through a loader the caller provides. Every length is
// checked against the bytes left before anything is allocated, the result
// must be acyclic and at most kMaxPickleDepth levels deep, and errors name
// the opcode and its byte offset.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "frontend/pickle_value.h"
#include "support/dtype.h"
#include "support/tensor.h"

namespace wick {

// Returns the storage for persistent id ('storage', <type>, key, location,
// numel): at least numel elements of dtype. Throws wick::Error when it can't.
using StorageLoader =
    std::function<std::shared_ptr<Storage>(const std::string& key, DType dtype, int64_t numel)>;

inline constexpr int kMaxPickleDepth = 1000;
inline constexpr uint64_t kMaxPickleBytes = uint64_t{1} << 30;

struct PickleLimits {
  int max_depth = kMaxPickleDepth;
  // Memory the reader may spend on values, counted as it goes. A pickle can
  // arrive deflated, so its own size is no bound: a megabyte of zip entry can
  // hold a gigabyte of one-byte opcodes that each make a list.
  uint64_t max_memory = uint64_t{2} << 30;
};

// Reads one pickle. `what` names it in error messages (e.g. "data.pkl").
// `load_storage` may be empty when the pickle must not refer to storages.
PickleValue unpickle(std::string_view bytes, const StorageLoader& load_storage,
                     const std::string& what = "pickle", const PickleLimits& limits = {});

}  // namespace wick
