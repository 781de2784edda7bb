#include "codegen/memory_plan.h"

#include <algorithm>
#include <map>
#include <set>

#include "support/dtype.h"

namespace wick::codegen {
namespace {

using rt::Instr;
using rt::Slot;

constexpr int64_t kAlignment = 64;

// Every slot an instruction reads, its nested blocks included.
void reads(const Instr& in, std::vector<Slot>& out) {
  out.insert(out.end(), in.inputs.begin(), in.inputs.end());
  for (const rt::Block& b : in.blocks) {
    for (const Instr& inner : b.instrs) reads(inner, out);
    out.insert(out.end(), b.results.begin(), b.results.end());
  }
}

struct Buffer {
  size_t alloc;  // index of the alloc instruction
  size_t last_use;
  int64_t bytes;
  int64_t offset = -1;
};

}  // namespace

void plan_memory(rt::Plan& plan) {
  std::vector<Instr>& body = plan.body.instrs;
  const size_t end = body.size();
  // Which buffer each slot's tensor lives in (views alias their input).
  std::map<Slot, size_t> buffer_of;
  std::vector<Buffer> buffers;
  std::set<size_t> excluded;
  for (size_t i = 0; i < body.size(); ++i) {
    const Instr& in = body[i];
    if (in.op == rt::Op::alloc) {
      int64_t numel = 1;
      for (int64_t s : in.ints) numel *= s;
      int64_t bytes = numel * static_cast<int64_t>(dtype_size(in.dtype));
      buffer_of[in.outputs[0]] = buffers.size();
      // Sizes known only at run time (a dynamic dim) get their own allocation.
      if (!in.int_symbols.empty()) excluded.insert(buffers.size());
      buffers.push_back({i, i, (bytes + kAlignment - 1) / kAlignment * kAlignment});
      continue;
    }
    std::vector<Slot> used;
    reads(in, used);
    for (Slot s : used) {
      auto it = buffer_of.find(s);
      if (it == buffer_of.end()) continue;
      Buffer& b = buffers[it->second];
      b.last_use = std::max(b.last_use, i);
      // A control-flow instruction may hand the buffer on through its results.
      if (in.op == rt::Op::if_ || in.op == rt::Op::loop) excluded.insert(it->second);
    }
    if ((in.op == rt::Op::view || in.op == rt::Op::select || in.op == rt::Op::move) && !in.inputs.empty()) {
      for (size_t k = 0; k < in.outputs.size() && k < in.inputs.size(); ++k) {
        auto it = buffer_of.find(in.inputs[k]);
        if (it != buffer_of.end()) buffer_of[in.outputs[k]] = it->second;
      }
    }
  }
  for (Slot s : plan.outputs) {
    auto it = buffer_of.find(s);
    if (it != buffer_of.end()) excluded.insert(it->second);
  }
  for (size_t k : excluded) buffers[k].last_use = end;

  // Largest first, each at the lowest offset free for its whole lifetime.
  std::vector<size_t> order;
  for (size_t k = 0; k < buffers.size(); ++k)
    if (!excluded.count(k)) order.push_back(k);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return buffers[a].bytes > buffers[b].bytes; });
  std::vector<size_t> placed;
  int64_t arena = 0;
  for (size_t k : order) {
    Buffer& b = buffers[k];
    std::vector<std::pair<int64_t, int64_t>> taken;
    for (size_t p : placed) {
      const Buffer& o = buffers[p];
      if (o.alloc <= b.last_use && b.alloc <= o.last_use) taken.emplace_back(o.offset, o.offset + o.bytes);
    }
    std::sort(taken.begin(), taken.end());
    int64_t offset = 0;
    for (const auto& [lo, hi] : taken) {
      if (offset + b.bytes <= lo) break;
      offset = std::max(offset, hi);
    }
    b.offset = offset;
    arena = std::max(arena, offset + b.bytes);
    placed.push_back(k);
  }
  for (const Buffer& b : buffers) body[b.alloc].arena_offset = b.offset;
  plan.arena_bytes = arena;
}

}  // namespace wick::codegen
