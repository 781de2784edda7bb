#include "frontend/pickle_writer.h"

#include <cstring>

#include "frontend/pickle.h"
#include "frontend/pickle_globals.h"
#include "support/error.h"

namespace wick {
namespace {

// The opcodes of protocol 2 this writer emits (pickletools' names).
constexpr char kProto = '\x80', kStop = '.', kNone = 'N', kTrue = '\x88', kFalse = '\x89';
constexpr char kBinInt1 = 'K', kBinInt2 = 'M', kBinInt = 'J', kLong1 = '\x8a', kBinFloat = 'G';
constexpr char kBinUnicode = 'X', kMark = '(', kEmptyTuple = ')', kTuple = 't', kEmptyList = ']';
constexpr char kAppends = 'e', kEmptyDict = '}', kSetItems = 'u', kGlobal = 'c', kReduce = 'R';
constexpr char kBinPersId = 'Q';

class Writer {
 public:
  Pickled finish(const PickleValue& v) {
    out_.bytes += kProto;
    out_.bytes += '\x02';
    value(v, 0);
    out_.bytes += kStop;
    return std::move(out_);
  }

 private:
  void byte(char c) { out_.bytes += c; }
  void le(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_.bytes += static_cast<char>((v >> (8 * i)) & 0xff);
  }

  void integer(int64_t v) {
    if (v >= 0 && v < 256) {
      byte(kBinInt1);
      le(static_cast<uint64_t>(v), 1);
    } else if (v >= 0 && v < 65536) {
      byte(kBinInt2);
      le(static_cast<uint64_t>(v), 2);
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
      byte(kBinInt);
      le(static_cast<uint64_t>(static_cast<uint32_t>(static_cast<int32_t>(v))), 4);
    } else {
      byte(kLong1);  // 8 bytes of two's complement, little-endian
      byte('\x08');
      le(static_cast<uint64_t>(v), 8);
    }
  }

  void floating(double d) {
    uint64_t bits;
    std::memcpy(&bits, &d, sizeof bits);
    byte(kBinFloat);
    for (int i = 7; i >= 0; --i) out_.bytes += static_cast<char>((bits >> (8 * i)) & 0xff);  // big-endian
  }

  void string(const std::string& s) {
    byte(kBinUnicode);
    le(s.size(), 4);
    out_.bytes += s;
  }

  void global(const char* module, const char* name) {
    byte(kGlobal);
    out_.bytes += std::string(module) + "\n" + name + "\n";
  }

  void int_tuple(const std::vector<int64_t>& v) {
    byte(kMark);
    for (int64_t x : v) integer(x);
    byte(kTuple);
  }

  void tensor(const PickleValue& v) {
    Tensor t = v.tensor();
    if (t.device().kind != DeviceKind::cpu) throw Error("cannot pickle a tensor that is not in host memory");
    t = t.contiguous();
    const std::string key = std::to_string(out_.storages.size());
    out_.storages.push_back(t);
    global("torch._utils", "_rebuild_tensor_v2");
    byte(kMark);
    byte(kMark);  // the persistent id
    string("storage");
    global("torch", storage_type_name(t.dtype()));
    string(key);
    string("cpu");
    integer(t.numel());
    byte(kTuple);
    byte(kBinPersId);
    integer(0);
    int_tuple(t.sizes());
    std::vector<int64_t> strides(t.sizes().size());
    int64_t stride = 1;
    for (size_t i = strides.size(); i-- > 0;) {
      strides[i] = stride;
      stride *= t.sizes()[i];
    }
    int_tuple(strides);
    byte(v.requires_grad() ? kTrue : kFalse);
    global("collections", "OrderedDict");
    byte(kEmptyTuple);
    byte(kReduce);
    byte(kTuple);
    byte(kReduce);
  }

  void value(const PickleValue& v, int depth) {
    if (depth > kMaxPickleDepth) throw Error("value nested too deeply to pickle");
    using K = PickleValue::Kind;
    switch (v.kind()) {
      case K::none: byte(kNone); return;
      case K::boolean: byte(v.to_bool() ? kTrue : kFalse); return;
      case K::integer: integer(v.to_int()); return;
      case K::floating: floating(v.to_double()); return;
      case K::string: string(v.to_str()); return;
      case K::tuple:
        byte(kMark);
        for (const PickleValue& e : v.elements()) value(e, depth + 1);
        byte(kTuple);
        return;
      case K::list:
        byte(kEmptyList);
        if (v.elements().empty()) return;
        byte(kMark);
        for (const PickleValue& e : v.elements()) value(e, depth + 1);
        byte(kAppends);
        return;
      case K::dict:
        byte(kEmptyDict);
        if (v.dict_items().empty()) return;
        byte(kMark);
        for (const auto& [key, item] : v.dict_items()) {
          value(key, depth + 1);
          value(item, depth + 1);
        }
        byte(kSetItems);
        return;
      case K::tensor: tensor(v); return;
      default: throw Error("cannot pickle a " + std::string(v.kind_name()) + " for torch.load");
    }
  }

  Pickled out_;
};

}  // namespace

Pickled pickle_for_torch(const PickleValue& value) { return Writer().finish(value); }

}  // namespace wick
