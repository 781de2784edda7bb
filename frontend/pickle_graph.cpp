#include "frontend/pickle_graph.h"

#include <algorithm>
#include <unordered_map>
#include <vector>

#include "support/error.h"

namespace wick {

namespace {

struct Frame {
  const PickleValue* value;
  std::vector<const PickleValue*> kids;
  size_t next = 0;
  int height = 1;  // levels from this node down, itself included
};

}  // namespace

std::unordered_set<const void*> check_pickle_graph(const PickleValue& root, int max_depth) {
  // Height of each finished container; -1 while it is on the path (grey).
  std::unordered_map<const void*, int> height;
  std::vector<Frame> path;
  auto enter = [&](const PickleValue* v) {
    if (static_cast<int>(path.size()) >= max_depth)
      throw Error("value is nested more than " + std::to_string(max_depth) + " levels deep");
    height[v->identity()] = -1;
    Frame f{v, {}, 0, 1};
    v->children(&f.kids);
    path.push_back(std::move(f));
  };
  if (root.is_container()) enter(&root);
  while (!path.empty()) {
    Frame& f = path.back();
    if (f.next < f.kids.size()) {
      const PickleValue* kid = f.kids[f.next++];
      if (!kid->is_container()) continue;
      auto it = height.find(kid->identity());
      if (it == height.end()) {
        enter(kid);  // invalidates f
        continue;
      }
      if (it->second < 0) throw Error("value contains a reference cycle");
      f.height = std::max(f.height, it->second + 1);
      if (f.height + static_cast<int>(path.size()) - 1 > max_depth)
        throw Error("value is nested more than " + std::to_string(max_depth) + " levels deep");
      continue;
    }
    const int h = f.height;
    height[f.value->identity()] = h;
    path.pop_back();
    if (!path.empty()) path.back().height = std::max(path.back().height, h + 1);
  }
  std::unordered_set<const void*> reachable;
  reachable.reserve(height.size());
  for (const auto& [id, h] : height) reachable.insert(id);
  return reachable;
}

}  // namespace wick
