// The primitive cache: a mutex-guarded hash map from key bytes to shared,
// immutable entries.
#include "runtime/primitive_cache.h"

#include <cstring>
#include <mutex>
#include <optional>
#include <unordered_map>

namespace wick::rt {
namespace dnnl_support {
namespace {

struct Cache {
  std::mutex mutex;
  std::unordered_map<std::string, std::shared_ptr<const CachedPrimitive>> entries;
};

Cache& cache() {
  static Cache c;
  return c;
}

}  // namespace

PrimitiveKey::PrimitiveKey(const char* op, int threads) {
  bytes_.reserve(256);
  bytes_ = op;
  bytes_.push_back('\0');
  add(static_cast<int64_t>(threads));
}

PrimitiveKey& PrimitiveKey::add(int64_t v) {
  bytes_.append(reinterpret_cast<const char*>(&v), sizeof v);
  return *this;
}

PrimitiveKey& PrimitiveKey::add(float v) {
  bytes_.append(reinterpret_cast<const char*>(&v), sizeof v);
  return *this;
}

PrimitiveKey& PrimitiveKey::add(const std::vector<int64_t>& v) {
  add(static_cast<int64_t>(v.size()));
  for (int64_t x : v) add(x);
  return *this;
}

PrimitiveKey& PrimitiveKey::add(const Tensor& t) {
  if (!t.defined()) return add(int64_t{-1});
  add(static_cast<int64_t>(t.dtype()));
  add(t.sizes());
  return add(t.strides());
}

std::shared_ptr<const CachedPrimitive> find_primitive(const PrimitiveKey& key) {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  auto it = c.entries.find(key.bytes());
  return it == c.entries.end() ? nullptr : it->second;
}

std::shared_ptr<const CachedPrimitive> insert_primitive(const PrimitiveKey& key,
                                                        CachedPrimitive created) {
  auto made = std::make_shared<const CachedPrimitive>(std::move(created));
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  if (c.entries.size() >= kMaxEntries) c.entries.clear();
  return c.entries.emplace(key.bytes(), std::move(made)).first->second;
}

CachedPrimitive create_in_place_or_contiguous(const std::function<CachedPrimitive(bool)>& make) {
  std::optional<CachedPrimitive> in_place;
  try {
    in_place = make(false);
    if (!in_place->reference) return *in_place;
  } catch (const dnnl::error& e) {
    // Strides oneDNN cannot describe (views whose rows overlap, such as a
    // diagonal) are invalid arguments: contiguous copies are not.
    if (e.status != dnnl_unimplemented && e.status != dnnl_invalid_arguments) throw;
  }
  if (!in_place) return make(true);
  try {
    CachedPrimitive copied = make(true);
    if (!copied.reference) return copied;
  } catch (const dnnl::error& e) {
    if (e.status != dnnl_unimplemented) throw;
  }
  return *in_place;
}

}  // namespace dnnl_support

size_t primitive_cache_size() {
  auto& c = dnnl_support::cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  return c.entries.size();
}

void clear_primitive_cache() {
  auto& c = dnnl_support::cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  c.entries.clear();
}

}  // namespace wick::rt
