// Test helper: writes pickle opcodes one by one, the way torch's serializer
// does, so tests can build exactly the pickles they need, broken ones too.
#pragma once

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string>

namespace wick::test {

// A string literal's bytes, embedded NULs included.
template <size_t N>
std::string bytes(const char (&literal)[N]) {
  return std::string(literal, N - 1);
}

class PickleWriter {
 public:
  PickleWriter() { out_ = "\x80\x02"; }
  PickleWriter& op(char c) { out_ += c; return *this; }
  PickleWriter& op(uint8_t c) { out_ += static_cast<char>(c); return *this; }
  PickleWriter& mark() { return op('('); }
  PickleWriter& tuple() { return op('t'); }
  PickleWriter& reduce() { return op('R'); }
  PickleWriter& none() { return op('N'); }
  PickleWriter& boolean(bool b) { return op(static_cast<uint8_t>(b ? 0x88 : 0x89)); }
  PickleWriter& global(const std::string& module, const std::string& name) {
    out_ += "c" + module + "\n" + name + "\n";
    return *this;
  }
  PickleWriter& str(const std::string& s) {
    out_ += 'X';
    le(s.size(), 4);
    out_ += s;
    return *this;
  }
  PickleWriter& integer(int64_t v) {
    if (v >= 0 && v < 256) {
      out_ += 'K';
      le(static_cast<uint64_t>(v), 1);
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
      out_ += 'J';
      le(static_cast<uint64_t>(v), 4);
    } else {
      out_ += "\x8a\x08";
      le(static_cast<uint64_t>(v), 8);
    }
    return *this;
  }
  PickleWriter& floating(double d) {  // BINFLOAT is big-endian
    uint64_t bits;
    std::memcpy(&bits, &d, 8);
    out_ += 'G';
    for (int i = 7; i >= 0; --i) out_ += static_cast<char>(bits >> (8 * i));
    return *this;
  }
  PickleWriter& ints(std::initializer_list<int64_t> vs) {
    mark();
    for (int64_t v : vs) integer(v);
    return tuple();
  }
  // ('storage', torch.<type>, key, 'cpu', numel) as a persistent id.
  PickleWriter& storage(const std::string& type, const std::string& key, int64_t numel) {
    mark().str("storage").global("torch", type).str(key).str("cpu").integer(numel).tuple();
    return op('Q');
  }
  // _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, OrderedDict())
  PickleWriter& tensor(const std::string& type, const std::string& key, int64_t numel,
                       int64_t offset, std::initializer_list<int64_t> size,
                       std::initializer_list<int64_t> stride, bool requires_grad = false) {
    global("torch._utils", "_rebuild_tensor_v2").mark();
    storage(type, key, numel).integer(offset).ints(size).ints(stride).boolean(requires_grad);
    global("collections", "OrderedDict").op(')').reduce();
    return tuple().reduce();
  }
  std::string stop() { return out_ + "."; }
  std::string bytes() const { return out_; }

 private:
  void le(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_ += static_cast<char>(v >> (8 * i));
  }
  std::string out_;
};

}  // namespace wick::test
