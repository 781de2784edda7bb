#include "frontend/pickle.h"

#include <cstring>
#include <iterator>
#include <map>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "frontend/pickle_globals.h"
#include "frontend/pickle_graph.h"
#include "frontend/pickle_opcodes.h"
#include "support/error.h"

namespace wick {

namespace {

class Machine {
 public:
  Machine(std::string_view in, const StorageLoader& loader, const PickleLimits& limits)
      : in_(in), loader_(loader), limits_(limits) {}
  // Every container is emptied first, so that cycles and deep chains left on
  // the stack or in the memo are freed without recursion.
  ~Machine() {
    for (PickleValue& v : arena_)
      if (!keep_.count(v.identity())) v.drop_children();
  }

  PickleValue run();
  size_t op_pos() const { return op_pos_; }
  uint8_t op() const { return op_; }

 private:
  // Input ------------------------------------------------------------------
  void need(uint64_t n) {
    if (n > in_.size() - pos_)
      throw Error("truncated: needs " + std::to_string(n) + " bytes but only " +
                  std::to_string(in_.size() - pos_) + " remain");
  }
  uint64_t read_le(size_t n) {
    need(n);
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i)
      v |= static_cast<uint64_t>(static_cast<uint8_t>(in_[pos_ + i])) << (8 * i);
    pos_ += n;
    return v;
  }
  std::string read_bytes(uint64_t n) {
    need(n);
    charge(n);
    std::string s(in_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  std::string read_line() {
    size_t nl = in_.find('\n', pos_);
    if (nl == std::string_view::npos) throw Error("truncated: missing end of line");
    std::string s(in_.substr(pos_, nl - pos_));
    pos_ = nl + 1;
    return s;
  }
  int64_t read_long(uint64_t n);

  // Stack ------------------------------------------------------------------
  size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }
  PickleValue& top() {
    if (stack_.size() <= floor()) throw Error("stack underflow");
    return stack_.back();
  }
  PickleValue pop() {
    PickleValue v = std::move(top());
    stack_.pop_back();
    return v;
  }
  std::vector<PickleValue> pop_mark() {
    if (marks_.empty()) throw Error("no MARK on the stack");
    const size_t m = marks_.back();
    marks_.pop_back();
    std::vector<PickleValue> items(std::make_move_iterator(stack_.begin() + m),
                                   std::make_move_iterator(stack_.end()));
    stack_.resize(m);
    return items;
  }
  // Counts memory as values are made (never refunded), so the total stays
  // within the limit however the pickle reuses it.
  void charge(uint64_t bytes) {
    spent_ += bytes;
    if (spent_ > limits_.max_memory)
      throw Error("pickle needs more than " + std::to_string(limits_.max_memory) +
                  " bytes of memory to read");
  }
  // A stack slot, and for a new container its node and arena slot too.
  void push(PickleValue v) {
    charge(v.is_container() ? kNodeCost : kSlotCost);
    if (v.is_container()) arena_.push_back(v);
    stack_.push_back(std::move(v));
  }
  // A second reference to a value already made (DUP, BINGET).
  void push_shared(PickleValue v) {
    charge(kSlotCost);
    stack_.push_back(std::move(v));
  }
  void memo_put(uint64_t id, const PickleValue& v) {
    charge(kNodeCost);
    memo_[id] = v;
  }
  const PickleValue& memo_get(uint64_t id) {
    auto it = memo_.find(id);
    if (it == memo_.end()) throw Error("memo index " + std::to_string(id) + " was never stored");
    return it->second;
  }

  PickleValue persistent_load(const PickleValue& pid);
  void execute(uint8_t op);

  static constexpr uint64_t kSlotCost = sizeof(PickleValue);
  static constexpr uint64_t kNodeCost = 256;

  std::string_view in_;
  size_t pos_ = 0;
  uint64_t spent_ = 0;
  size_t op_pos_ = 0;
  uint8_t op_ = 0;
  bool stopped_ = false;
  const StorageLoader& loader_;
  const PickleLimits& limits_;
  std::vector<PickleValue> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, PickleValue> memo_;
  std::vector<PickleValue> arena_;           // every container created
  std::unordered_set<const void*> keep_;     // containers reachable from the result
  std::map<std::string, PickleValue> storages_;  // by key
  PickleValue result_;
};

int64_t Machine::read_long(uint64_t n) {
  need(n);
  const auto* b = reinterpret_cast<const uint8_t*>(in_.data() + pos_);
  pos_ += n;
  if (n == 0) return 0;
  // Two's complement, little-endian; bytes past the eighth may only repeat the sign.
  const uint64_t low = n < 8 ? n : 8;
  const uint8_t fill = (b[low - 1] & 0x80) ? 0xff : 0x00;
  for (uint64_t i = 8; i < n; ++i)
    if (b[i] != fill) throw Error("integer does not fit in 64 bits");
  uint64_t v = 0;
  for (uint64_t i = 0; i < 8; ++i) v |= static_cast<uint64_t>(i < low ? b[i] : fill) << (8 * i);
  return static_cast<int64_t>(v);
}

PickleValue Machine::persistent_load(const PickleValue& pid) {
  if (!pid.is(PickleValue::Kind::tuple) || pid.elements().size() != 5 ||
      !pid.elements()[0].is(PickleValue::Kind::string) || pid.elements()[0].to_str() != "storage")
    throw Error("persistent id must be ('storage', type, key, location, numel), got " +
                pid.repr(80));
  const auto& e = pid.elements();
  const DType dtype = storage_type_dtype(e[1]);
  if (!e[2].is(PickleValue::Kind::string) || !e[3].is(PickleValue::Kind::string) ||
      !e[4].is(PickleValue::Kind::integer))
    throw Error("persistent id must be ('storage', type, key, location, numel), got " +
                pid.repr(80));
  const std::string& key = e[2].to_str();
  const int64_t numel = e[4].to_int();
  int64_t bytes = 0;
  if (!checked_mul(numel, static_cast<int64_t>(dtype_size(dtype)), &bytes) ||
      bytes > kMaxTensorBytes)
    throw Error("storage '" + key + "' declares " + std::to_string(numel) + " elements of " +
                std::string(dtype_name(dtype)) + ", which is negative or too large");
  auto it = storages_.find(key);
  if (it != storages_.end()) {
    if (it->second.storage_dtype() != dtype || it->second.storage_numel() != numel)
      throw Error("storage '" + key + "' is declared twice with different types or sizes");
    return it->second;
  }
  if (!loader_) throw Error("pickle refers to storage '" + key + "' but has no storages");
  std::shared_ptr<Storage> data = loader_(key, dtype, numel);
  if (!data || data->nbytes() < static_cast<uint64_t>(bytes))
    throw Error("storage '" + key + "' holds " + std::to_string(data ? data->nbytes() : 0) +
                " bytes, fewer than the " + std::to_string(numel) + " " +
                std::string(dtype_name(dtype)) + " elements it declares");
  PickleValue v = PickleValue::storage(std::move(data), dtype, numel, key);
  storages_.emplace(key, v);
  return v;
}

PickleValue Machine::run() {
  while (!stopped_) {
    if (pos_ >= in_.size()) throw Error("pickle ends without a STOP opcode");
    op_pos_ = pos_;
    op_ = static_cast<uint8_t>(in_[pos_++]);
    execute(op_);
  }
  // The result must be a finite tree or DAG: consumers walk it recursively.
  keep_ = check_pickle_graph(result_, limits_.max_depth);
  return result_;
}

void Machine::execute(uint8_t op) {
  using K = PickleValue::Kind;
  switch (op) {
    case 0x80: {  // PROTO
      uint64_t version = read_le(1);
      if (version > 5) throw Error("unsupported pickle protocol " + std::to_string(version));
      break;
    }
    case 0x95: {  // FRAME: a length prefix only; the whole input is already here
      uint64_t n = read_le(8);
      need(n);
      break;
    }
    case '.': result_ = pop(); stopped_ = true; break;
    case '(': marks_.push_back(stack_.size()); break;
    case '0':  // POP: like Python, an empty frame pops its mark
      if (stack_.size() > floor()) stack_.pop_back();
      else if (!marks_.empty()) marks_.pop_back();
      else throw Error("stack underflow");
      break;
    case '1': pop_mark(); break;
    case '2': push_shared(top()); break;

    case 'N': push(PickleValue()); break;
    case 0x88: push(PickleValue::boolean(true)); break;
    case 0x89: push(PickleValue::boolean(false)); break;
    case 'K': push(PickleValue::integer(static_cast<int64_t>(read_le(1)))); break;
    case 'M': push(PickleValue::integer(static_cast<int64_t>(read_le(2)))); break;
    case 'J': push(PickleValue::integer(static_cast<int32_t>(read_le(4)))); break;
    case 0x8a: push(PickleValue::integer(read_long(read_le(1)))); break;
    case 0x8b: {
      int32_t n = static_cast<int32_t>(read_le(4));
      if (n < 0) throw Error("negative length " + std::to_string(n));
      push(PickleValue::integer(read_long(static_cast<uint64_t>(n))));
      break;
    }
    case 'G': {  // big-endian IEEE double
      need(8);
      uint64_t bits = 0;
      for (int i = 0; i < 8; ++i) bits = bits << 8 | static_cast<uint8_t>(in_[pos_ + i]);
      pos_ += 8;
      double d;
      std::memcpy(&d, &bits, sizeof d);
      push(PickleValue::floating(d));
      break;
    }

    case 0x8c: push(PickleValue::string(read_bytes(read_le(1)))); break;  // SHORT_BINUNICODE
    case 'X': push(PickleValue::string(read_bytes(read_le(4)))); break;   // BINUNICODE
    case 0x8d: push(PickleValue::string(read_bytes(read_le(8)))); break;  // BINUNICODE8
    case 'U': push(PickleValue::string(read_bytes(read_le(1)))); break;   // SHORT_BINSTRING
    case 'T': {                                                           // BINSTRING
      int32_t n = static_cast<int32_t>(read_le(4));
      if (n < 0) throw Error("negative length " + std::to_string(n));
      push(PickleValue::string(read_bytes(static_cast<uint64_t>(n))));
      break;
    }
    case 'C': push(PickleValue::bytes(read_bytes(read_le(1)))); break;
    case 'B': push(PickleValue::bytes(read_bytes(read_le(4)))); break;
    case 0x8e: push(PickleValue::bytes(read_bytes(read_le(8)))); break;

    case ')': push(PickleValue::tuple({})); break;
    case 't': push(PickleValue::tuple(pop_mark())); break;
    case 0x85:
    case 0x86:
    case 0x87: {
      const size_t n = op - 0x84;
      if (stack_.size() < floor() + n) throw Error("stack underflow");
      std::vector<PickleValue> items(std::make_move_iterator(stack_.end() - n),
                                     std::make_move_iterator(stack_.end()));
      stack_.resize(stack_.size() - n);
      push(PickleValue::tuple(std::move(items)));
      break;
    }
    case ']': push(PickleValue::list({})); break;
    case 'l': push(PickleValue::list(pop_mark())); break;
    case 'a': {
      PickleValue v = pop();
      top().append(std::move(v));
      break;
    }
    case 'e': {
      std::vector<PickleValue> items = pop_mark();
      PickleValue& list = top();
      for (PickleValue& v : items) list.append(std::move(v));
      break;
    }
    case '}': push(PickleValue::dict()); break;
    case 'd':
    case 'u': {  // DICT, SETITEMS
      std::vector<PickleValue> items = pop_mark();
      if (items.size() % 2) throw Error("odd number of items for a dict");
      if (op == 'd') push(PickleValue::dict());
      PickleValue& dict = top();
      for (size_t i = 0; i < items.size(); i += 2)
        dict.set_item(std::move(items[i]), std::move(items[i + 1]));
      break;
    }
    case 's': {
      PickleValue v = pop();
      PickleValue k = pop();
      top().set_item(std::move(k), std::move(v));
      break;
    }

    case 'q': memo_put(read_le(1), top()); break;
    case 'r': memo_put(read_le(4), top()); break;
    case 0x94: memo_put(memo_.size(), top()); break;
    case 'h': push_shared(memo_get(read_le(1))); break;
    case 'j': push_shared(memo_get(read_le(4))); break;

    case 'c': {
      std::string module = read_line();
      std::string name = read_line();
      push(resolve_pickle_global(module, name));
      break;
    }
    case 0x93: {
      PickleValue name = pop();
      PickleValue module = pop();
      if (!module.is(K::string) || !name.is(K::string))
        throw Error("STACK_GLOBAL needs two strings, got " + module.repr(60) + " and " +
                    name.repr(60));
      push(resolve_pickle_global(module.to_str(), name.to_str()));
      break;
    }
    case 'R': {
      PickleValue args = pop();
      PickleValue callable = pop();
      push(call_pickle_global(callable, args));
      break;
    }
    case 0x81: {
      PickleValue args = pop();
      PickleValue cls = pop();
      push(new_pickle_object(cls, args));
      break;
    }
    case 'b': {
      PickleValue state = pop();
      PickleValue& obj = top();
      if (!obj.is(K::object)) throw Error("BUILD sets the state of a " +
                                          std::string(obj.kind_name()) + ", not an object");
      obj.set_state(std::move(state));
      break;
    }
    case 'Q': {
      PickleValue pid = pop();
      push(persistent_load(pid));
      break;
    }
    default:
      if (pickle_opcode_name(op)) throw Error("opcode is not supported in TorchScript pickles");
      throw Error("unknown pickle opcode 0x" + std::string{"0123456789abcdef"[op >> 4]} +
                  "0123456789abcdef"[op & 15]);
  }
}

}  // namespace

PickleValue unpickle(std::string_view bytes, const StorageLoader& load_storage,
                     const std::string& what, const PickleLimits& limits) {
  if (bytes.size() > kMaxPickleBytes)
    throw Error(what + " is " + std::to_string(bytes.size()) + " bytes, more than the " +
                std::to_string(kMaxPickleBytes) + " allowed");
  Machine m(bytes, load_storage, limits);
  try {
    return m.run();
  } catch (const Error& e) {
    const char* name = pickle_opcode_name(m.op());
    std::string where = what + ", byte " + std::to_string(m.op_pos());
    if (name) where += std::string(" (") + name + ")";
    throw Error(where + ": " + e.message(), e.where(), e.op(), e.source_line());
  }
}

}  // namespace wick
