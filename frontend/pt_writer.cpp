#include "frontend/pt_writer.h"

#include <cstdio>
#include <cstring>
#include <map>

#include "frontend/zip_writer.h"
#include "support/error.h"

namespace wick {

namespace {

constexpr int kMaxDepth = 200;

// The tensors of the module tree in data.pkl with the dotted paths the
// loader names them by (emitter.cpp: register_tensors).
void collect(const PickleValue& object, const std::string& path, int depth,
             std::vector<std::pair<std::string, Tensor>>& out) {
  if (depth > kMaxDepth || !object.is(PickleValue::Kind::object)) return;
  const PickleValue& state = object.state();
  if (!state.is(PickleValue::Kind::dict)) return;
  for (const auto& [key, value] : state.dict_items()) {
    if (!key.is(PickleValue::Kind::string)) continue;
    const std::string name = path.empty() ? key.to_str() : path + "." + key.to_str();
    // A quantized tensor is written back as it was read: wick trains
    // no quantized weights (their floats view no storage of the file).
    if (value.is(PickleValue::Kind::tensor) && !value.quantized()) out.emplace_back(name, value.tensor());
    else if (value.is(PickleValue::Kind::object)) collect(value, name, depth + 1, out);
  }
}

// Copies the elements of `from` into `bytes` laid out as `like` (same sizes
// and dtype; `like`'s offset and strides index its storage, `bytes`).
void write_elements(const Tensor& from, const Tensor& like, std::string& bytes) {
  const size_t esize = dtype_size(like.dtype());
  const int rank = like.dim();
  std::vector<int64_t> index(static_cast<size_t>(rank), 0);
  const char* src = static_cast<const char*>(from.data());
  for (int64_t k = 0, n = like.numel(); k < n; ++k) {
    int64_t a = 0, b = like.offset();
    for (int d = 0; d < rank; ++d) {
      a += index[d] * from.strides()[d];
      b += index[d] * like.strides()[d];
    }
    const uint64_t at = static_cast<uint64_t>(b) * esize;
    WICK_ASSERT(at + esize <= bytes.size(), "a tensor outside its storage");
    std::memcpy(&bytes[at], src + a * static_cast<int64_t>(esize), esize);
    for (int d = rank - 1; d >= 0 && ++index[d] == like.size(d); --d) index[d] = 0;
  }
}

}  // namespace

void write_pt(const PtArchive& archive, const ir::Module& module, const std::string& path) {
  std::map<const Storage*, std::string> key_of;
  for (const auto& [key, storage] : archive.data_storages) key_of[storage.get()] = key;
  std::vector<std::pair<std::string, Tensor>> tensors;
  collect(archive.data, "", 0, tensors);

  // New bytes of the storages the module's tensors view, from the archive's.
  std::map<std::string, std::string> storages;
  for (const auto& [name, file_tensor] : tensors) {
    const ir::NamedTensor* t = module.find_tensor(name);
    if (!t || !t->data.defined()) continue;
    // The module keeps a complex tensor as its real pairs.
    const Tensor stored = is_complex(file_tensor.dtype()) ? as_real_pairs(file_tensor) : file_tensor;
    auto key = key_of.find(stored.storage().get());
    WICK_ASSERT(key != key_of.end(), "tensor " + name + " views no storage of data.pkl");
    if (t->data.dtype() != stored.dtype() || t->data.sizes() != stored.sizes())
      throw Error("module tensor " + name + " is " + t->data.describe() + " but the archive stores " +
                  stored.describe() + " there");
    auto it = storages.find(key->second);
    if (it == storages.end()) it = storages.emplace(key->second, archive.zip.read("data/" + key->second)).first;
    write_elements(t->data, stored, it->second);
  }

  write_zip_file(path, [&](ZipWriter& zip) {
    for (const std::string& rel : archive.zip.names()) {
      const std::string full = archive.zip.root() + "/" + rel;
      auto it = rel.rfind("data/", 0) == 0 ? storages.find(rel.substr(5)) : storages.end();
      if (it != storages.end()) {
        zip.add(full, it->second.data(), it->second.size());
      } else {
        const std::string bytes = archive.zip.read(rel);
        zip.add(full, bytes.data(), bytes.size());
      }
    }
  });
}

}  // namespace wick
