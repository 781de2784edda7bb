// A process-wide, thread-safe cache of created oneDNN primitives. Creating a
// primitive (choosing an implementation, generating its JIT code) costs far
// more than running a small one, so each kernel looks its primitive up by a
// key of everything the creation depended on: op, sizes, strides, parameters
// and thread count. The cache holds at most kMaxEntries and is emptied when
// full; shapes in one model are few, so it refills quickly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "runtime/dnnl_context.h"

namespace wick::rt::dnnl_support {

class PrimitiveKey {
 public:
  PrimitiveKey(const char* op, int threads);
  PrimitiveKey& add(int64_t v);
  PrimitiveKey& add(float v);
  PrimitiveKey& add(const std::vector<int64_t>& v);  // length-prefixed
  PrimitiveKey& add(const Tensor& t);                // dtype, sizes and strides
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

inline constexpr size_t kMaxEntries = 1024;

// The cached primitive for `key` (null on a miss), and the insertion of a
// new one, which returns the entry kept: two threads missing at once may
// both create a primitive, only one is kept.
std::shared_ptr<const CachedPrimitive> find_primitive(const PrimitiveKey& key);
std::shared_ptr<const CachedPrimitive> insert_primitive(const PrimitiveKey& key,
                                                        CachedPrimitive created);

// The cached primitive for `key`, made by create() on a miss (outside any
// lock: creation can take milliseconds).
template <typename Create>
std::shared_ptr<const CachedPrimitive> cached_primitive(const PrimitiveKey& key, Create&& create) {
  if (auto hit = find_primitive(key)) return hit;
  return insert_primitive(key, create());
}

// Creates with make(false) (operands read in place) and falls back to
// make(true) (contiguous copies) when the in-place form is not implemented,
// cannot be described (strides whose rows overlap, as a diagonal's), or
// reaches only oneDNN's reference implementation while copies would not.
CachedPrimitive create_in_place_or_contiguous(const std::function<CachedPrimitive(bool)>& make);

}  // namespace wick::rt::dnnl_support
