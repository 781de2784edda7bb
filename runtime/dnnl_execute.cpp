// Running a cached primitive with as little per-call work as possible: each
// thread keeps, per primitive, the oneDNN memory objects bound to its
// arguments and only swaps their data pointers; the scratchpad and operands
// in blocked layouts live in per-thread buffers that only grow; each thread
// has its own stream.
#include <algorithm>
#include <cstdlib>
#include <map>
#include <mutex>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "runtime/dnnl_context.h"
#include "support/error.h"

namespace wick::rt::dnnl_support {
namespace {

// Slot 0 holds the scratchpad, the others operands in blocked layouts.
constexpr int kBufferSlots = 4;

void* thread_buffer(int slot, size_t bytes) {
  struct Buffer {
    std::unique_ptr<void, decltype(&std::free)> data{nullptr, &std::free};
    size_t size = 0;
  };
  WICK_ASSERT(slot < kBufferSlots, "too many oneDNN buffers");
  thread_local Buffer buffers[kBufferSlots];
  Buffer& b = buffers[slot];
  if (bytes > b.size) {
    size_t rounded = (bytes + 63) / 64 * 64;
    b.data.reset(std::aligned_alloc(64, rounded));
    if (!b.data) {
      b.size = 0;
      throw Error("out of memory allocating a " + std::to_string(bytes) + "-byte oneDNN buffer");
    }
    b.size = rounded;
  }
  return b.data.get();
}

dnnl::stream& thread_stream() {
  thread_local dnnl::stream stream(engine());
  return stream;
}

using Args = std::unordered_map<int, dnnl::memory>;

dnnl::memory unbound(const dnnl::memory::desc& md) {
  return dnnl::memory(md, engine(), DNNL_MEMORY_NONE);
}

// One thread's memory objects for one primitive and its reorders.
struct Bound {
  Args args;                       // the primitive's, in its own layouts
  std::vector<Args> reorders;      // FROM/TO (and scratchpad) of p.reorders[i]
  std::vector<dnnl::memory> user;  // the caller's side of p.reorders[i]

  explicit Bound(const CachedPrimitive& p) {
    for (const auto& [id, md] : p.args)
      if (md.get_size() > 0) args.emplace(id, unbound(md));
    if (p.scratchpad.get_size() > 0) args.emplace(DNNL_ARG_SCRATCHPAD, unbound(p.scratchpad));
    for (const Reorder& r : p.reorders) {
      dnnl::memory outside = unbound(r.user), inside = args.at(r.arg);
      const bool in = r.arg != DNNL_ARG_DST;
      Args io = {{DNNL_ARG_FROM, in ? outside : inside}, {DNNL_ARG_TO, in ? inside : outside}};
      if (r.scratchpad.get_size() > 0) io.emplace(DNNL_ARG_SCRATCHPAD, unbound(r.scratchpad));
      reorders.push_back(std::move(io));
      user.push_back(outside);
    }
  }
};

Bound& bound(const CachedPrimitive& p) {
  thread_local std::unordered_map<uint64_t, std::unique_ptr<Bound>> cache;
  auto it = cache.find(p.id);
  if (it != cache.end()) return *it->second;
  if (cache.size() >= 256) cache.clear();  // entries of evicted primitives
  return *cache.emplace(p.id, std::make_unique<Bound>(p)).first->second;
}

void attach_scratchpad(Args& args) {
  auto it = args.find(DNNL_ARG_SCRATCHPAD);
  if (it != args.end())
    it->second.set_data_handle(thread_buffer(0, it->second.get_desc().get_size()));
}

}  // namespace

// Weights already converted to a layout, by source address, then by the
// conversion (from one layout to another): primitives that want the same
// layout share one copy, so a weight multiplied at many batch sizes is held
// once per layout, not once per primitive. An entry counts only while the
// storage it came from lives.
struct ConvertedWeights {
  struct Entry {
    dnnl::memory::desc from, to;
    std::weak_ptr<Storage> source;
    std::shared_ptr<void> buffer;
  };
  std::mutex mutex;
  std::map<const void*, std::vector<Entry>> entries;
};

ConvertedWeights& converted_weights() {
  static ConvertedWeights c;
  return c;
}

size_t kept_weight_conversions() {
  ConvertedWeights& cw = converted_weights();
  std::lock_guard<std::mutex> lock(cw.mutex);
  size_t live = 0;
  for (const auto& [ptr, kept] : cw.entries)
    live += static_cast<size_t>(std::count_if(kept.begin(), kept.end(), [](const auto& e) { return !e.source.expired(); }));
  return live;
}

void execute(const CachedPrimitive& p, std::initializer_list<std::pair<int, void*>> data,
             const std::shared_ptr<Storage>& constant_weights) {
  Bound& b = bound(p);
  void* converted = nullptr;  // the kept conversion of the weights, once made
  int slot = 1;
  size_t given = 0;
  for (const auto& [id, ptr] : data) {
    if (!ptr) continue;
    ++given;
    size_t r = 0;
    while (r < p.reorders.size() && p.reorders[r].arg != id) ++r;
    auto it = b.args.find(id);
    WICK_ASSERT(it != b.args.end(), "oneDNN argument without a descriptor");
    if (r == p.reorders.size()) {
      it->second.set_data_handle(ptr);
    } else if (constant_weights != nullptr && id == DNNL_ARG_WEIGHTS) {
      b.user[r].set_data_handle(ptr);
      ConvertedWeights& cw = converted_weights();
      std::lock_guard<std::mutex> lock(cw.mutex);
      const dnnl::memory::desc from = b.user[r].get_desc(), to = it->second.get_desc();
      std::vector<ConvertedWeights::Entry>& kept = cw.entries[ptr];
      std::erase_if(kept, [](const ConvertedWeights::Entry& e) { return e.source.expired(); });
      auto found = std::find_if(kept.begin(), kept.end(), [&](const ConvertedWeights::Entry& e) {
        return e.from == from && e.to == to && e.source.lock() == constant_weights;
      });
      if (found != kept.end()) {
        it->second.set_data_handle(found->buffer.get());
        converted = found->buffer.get();
      } else {
        const size_t bytes = (to.get_size() + 63) / 64 * 64;
        std::shared_ptr<void> buffer(std::aligned_alloc(64, bytes), &std::free);
        if (!buffer) throw Error("out of memory converting weights");
        it->second.set_data_handle(buffer.get());
        // Converted under the lock, so that no other thread reads the copy
        // before it is whole.
        dnnl::stream& stream = thread_stream();
        attach_scratchpad(b.reorders[r]);
        p.reorders[r].primitive.execute(stream, b.reorders[r]);
        stream.wait();
        converted = buffer.get();
        kept.push_back({from, to, constant_weights, buffer});
        // Entries of freed storages go when the map grows.
        if (cw.entries.size() > 4096)
          std::erase_if(cw.entries, [](const auto& e) {
            return std::all_of(e.second.begin(), e.second.end(), [](const auto& x) { return x.source.expired(); });
          });
      }
    } else {
      b.user[r].set_data_handle(ptr);
      it->second.set_data_handle(thread_buffer(slot++, it->second.get_desc().get_size()));
    }
  }
  WICK_ASSERT(given + (p.scratchpad.get_size() > 0) == b.args.size(), "oneDNN arguments missing");

  dnnl::stream& stream = thread_stream();
  for (size_t r = 0; r < p.reorders.size(); ++r) {
    if (p.reorders[r].arg == DNNL_ARG_DST) continue;
    if (converted && p.reorders[r].arg == DNNL_ARG_WEIGHTS) continue;  // kept from an earlier call
    attach_scratchpad(b.reorders[r]);
    p.reorders[r].primitive.execute(stream, b.reorders[r]);
  }
  attach_scratchpad(b.args);
  p.primitive.execute(stream, b.args);
  for (size_t r = 0; r < p.reorders.size(); ++r) {
    if (p.reorders[r].arg != DNNL_ARG_DST) continue;
    attach_scratchpad(b.reorders[r]);
    p.reorders[r].primitive.execute(stream, b.reorders[r]);
  }
  stream.wait();
}

}  // namespace wick::rt::dnnl_support
