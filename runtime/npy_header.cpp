// Parser and writer of the .npy preamble and header dict. The dict is a Python
// literal such as {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }.
// It is read by a small recursive-descent parser that accepts exactly the
// Python syntax numpy and hand-written headers use (either quote style, any key
// order, any whitespace, trailing commas, Python 2 `3L` integers) and rejects
// everything else, so a corrupt header is an error and never a wrong tensor.
#include "runtime/npy_header.h"

#include <algorithm>
#include <bit>
#include <cctype>
#include <cstring>
#include <optional>
#include <string_view>

#include "support/error.h"
#include "support/tensor.h"

namespace wick {
namespace {

// Data is copied as is, so the host must share the files' little-endian order.
static_assert(std::endian::native == std::endian::little,
              "the .npy reader assumes a little-endian host");

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;

[[noreturn]] void fail(const std::string& name, std::string message) {
  throw Error(std::move(message), SourceLocation{name});
}

// Printable form of bytes from the file for error messages, cut to `limit`.
std::string printable(std::string_view s, size_t limit = 120) {
  std::string out;
  for (size_t i = 0; i < s.size() && i < limit; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      static const char hex[] = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  if (s.size() > limit) out += "...";
  return out;
}

struct DescrEntry {
  DType dtype;
  char kind;  // numpy's type character: f, i, u, b
};

// numpy's descr for each dtype wick can hold; the byte-order character is
// handled separately.
std::optional<DescrEntry> descr_entry(DType t) {
  switch (t) {
    case DType::f32:
      return DescrEntry{t, 'f'};
    case DType::f64:
      return DescrEntry{t, 'f'};
    case DType::f16:
      return DescrEntry{t, 'f'};
    case DType::i64:
      return DescrEntry{t, 'i'};
    case DType::i32:
      return DescrEntry{t, 'i'};
    case DType::i16:
      return DescrEntry{t, 'i'};
    case DType::i8:
      return DescrEntry{t, 'i'};
    case DType::u8:
      return DescrEntry{t, 'u'};
    case DType::b8:
      return DescrEntry{t, 'b'};
    case DType::bf16:
    case DType::c64:  // complex tensors never reach the runtime
    case DType::c128:
      return std::nullopt;
  }
  return std::nullopt;
}

std::string descr_of(DType t) {
  auto e = descr_entry(t);
  WICK_ASSERT(e.has_value(), "descr_of a dtype without a numpy name");
  size_t size = dtype_size(t);
  return std::string(1, size == 1 ? '|' : '<') + e->kind + std::to_string(size);
}

// Accepts numpy's canonical descrs ('<f4', '|b1', ...); one-byte types may
// carry any byte-order character, '=' means the (little-endian) host order.
std::optional<DType> dtype_from_descr(std::string_view d) {
  if (d.size() != 3) return std::nullopt;
  for (DType t : kAllDTypes) {
    auto e = descr_entry(t);
    if (!e || d[1] != e->kind || d[2] != static_cast<char>('0' + dtype_size(t))) continue;
    bool one_byte = dtype_size(t) == 1;
    if (d[0] == '<' || d[0] == '=' || (one_byte && (d[0] == '|' || d[0] == '>'))) return t;
  }
  return std::nullopt;
}

struct HeaderDict {
  std::optional<std::string> descr;
  std::optional<bool> fortran_order;
  std::optional<std::vector<int64_t>> shape;
};

class DictParser {
 public:
  DictParser(std::string_view text, const std::string& name) : text_(text), name_(name) {}

  HeaderDict parse() {
    HeaderDict dict;
    skip_space();
    expect('{', "'{' to open the header dict");
    skip_space();
    while (!eat('}')) {
      size_t key_pos = pos_;
      std::string key = parse_string("a quoted key");
      skip_space();
      expect(':', "':' after a key");
      skip_space();
      if (key == "descr") {
        if (dict.descr) malformed("duplicate key 'descr'", key_pos);
        if (peek() == '[')
          fail(name_, "structured (record) dtypes are not supported in .npy files");
        dict.descr = parse_string("a quoted dtype string for 'descr'");
      } else if (key == "fortran_order") {
        if (dict.fortran_order) malformed("duplicate key 'fortran_order'", key_pos);
        dict.fortran_order = parse_bool();
      } else if (key == "shape") {
        if (dict.shape) malformed("duplicate key 'shape'", key_pos);
        dict.shape = parse_shape();
      } else {
        malformed("unknown key '" + printable(key) + "'", key_pos);
      }
      skip_space();
      if (eat('}')) break;
      expect(',', "',' or '}' after a value");
      skip_space();
    }
    skip_space();
    if (pos_ != text_.size()) malformed("unexpected text after the closing '}'", pos_);
    if (!dict.descr) malformed("missing key 'descr'", pos_);
    if (!dict.fortran_order) malformed("missing key 'fortran_order'", pos_);
    if (!dict.shape) malformed("missing key 'shape'", pos_);
    return dict;
  }

 private:
  [[noreturn]] void malformed(const std::string& what, size_t at) const {
    fail(name_, "malformed .npy header: " + what + " at offset " + std::to_string(at) +
                    " of the header dict: " + printable(text_));
  }

  int peek() const { return pos_ < text_.size() ? static_cast<unsigned char>(text_[pos_]) : -1; }

  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r'))
      ++pos_;
  }

  bool eat(char c) {
    if (peek() != static_cast<unsigned char>(c)) return false;
    ++pos_;
    return true;
  }

  void expect(char c, const char* what) {
    if (!eat(c)) malformed(std::string("expected ") + what, pos_);
  }

  // A Python string literal without escapes (none of the accepted values needs one).
  std::string parse_string(const char* what) {
    int quote = peek();
    if (quote != '\'' && quote != '"') malformed(std::string("expected ") + what, pos_);
    size_t start = ++pos_;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      if (text_[pos_] == '\n') break;  // Python strings end at the line
      if (text_[pos_] == '\\') malformed("unsupported escape in a string literal", pos_);
      ++pos_;
    }
    if (pos_ == text_.size() || text_[pos_] != quote) malformed("unterminated string", start - 1);
    return std::string(text_.substr(start, pos_++ - start));
  }

  bool parse_bool() {
    for (bool value : {true, false}) {
      std::string_view word = value ? "True" : "False";
      if (text_.substr(pos_, word.size()) == word) {
        size_t end = pos_ + word.size();
        bool word_ends =
            end == text_.size() ||
            !(std::isalnum(static_cast<unsigned char>(text_[end])) || text_[end] == '_');
        if (word_ends) {
          pos_ = end;
          return value;
        }
      }
    }
    malformed("expected True or False for 'fortran_order'", pos_);
  }

  // A tuple of integers: (), (3,), (2, 3) or (2, 3,). A bare (3) is an int in
  // Python, not a tuple, so numpy rejects it and so does this.
  std::vector<int64_t> parse_shape() {
    expect('(', "a tuple such as (2, 3) for 'shape'");
    std::vector<int64_t> dims;
    bool trailing_comma = false;
    skip_space();
    while (!eat(')')) {
      if (dims.size() == kNpyMaxDims)
        fail(name_, "shape has more than " + std::to_string(kNpyMaxDims) + " dimensions");
      dims.push_back(parse_dim());
      skip_space();
      trailing_comma = eat(',');
      skip_space();
      if (!trailing_comma && peek() != ')') malformed("expected ',' or ')' in 'shape'", pos_);
    }
    if (dims.size() == 1 && !trailing_comma)
      malformed("a 1-d shape needs a trailing comma, as in (3,)", pos_);
    return dims;
  }

  int64_t parse_dim() {
    size_t start = pos_;
    bool negative = eat('-');
    if (negative) skip_space();
    if (peek() < '0' || peek() > '9') malformed("expected an integer in 'shape'", pos_);
    if (peek() == '0' && pos_ + 1 < text_.size() &&
        std::isdigit(static_cast<unsigned char>(text_[pos_ + 1])))
      malformed("integer with a leading zero in 'shape'", pos_);
    int64_t value = 0;
    bool overflow = false;
    while (peek() >= '0' && peek() <= '9') {
      int digit = peek() - '0';
      overflow = overflow || __builtin_mul_overflow(value, int64_t{10}, &value) ||
                 __builtin_add_overflow(value, int64_t{digit}, &value);
      ++pos_;
    }
    if (peek() == 'L' || peek() == 'l') ++pos_;  // Python 2 long, as old numpy wrote
    std::string literal(text_.substr(start, pos_ - start));
    if (negative) fail(name_, "negative dimension " + literal + " in the .npy shape");
    if (overflow) fail(name_, "dimension " + literal + " in the .npy shape is too large");
    return value;
  }

  std::string_view text_;
  const std::string& name_;
  size_t pos_ = 0;
};

uint32_t read_le(const unsigned char* p, size_t n) {
  uint32_t v = 0;
  for (size_t i = n; i-- > 0;) v = (v << 8) | p[i];
  return v;
}

std::string shape_tuple(const std::vector<int64_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

}  // namespace

size_t npy_header_size(const unsigned char* prefix, size_t prefix_size, uint64_t file_size,
                       const std::string& name) {
  WICK_ASSERT(prefix_size <= file_size, "npy prefix longer than its file");
  WICK_ASSERT(prefix_size >= kNpyPreambleMax || prefix_size == file_size, "npy prefix too short");
  if (file_size == 0) fail(name, "empty file; expected a .npy array");
  if (std::memcmp(prefix, kMagic, std::min(prefix_size, kMagicSize)) != 0)
    fail(name, "not a .npy file: bad magic " +
                   printable(std::string_view(reinterpret_cast<const char*>(prefix),
                                              std::min(prefix_size, kMagicSize))) +
                   " (expected \\x93NUMPY)");
  auto truncated = [&](size_t needed) {
    fail(name, "truncated .npy header: the file has " + std::to_string(file_size) +
                   " bytes but the preamble needs " + std::to_string(needed));
  };
  if (prefix_size < kMagicSize + 2) truncated(kMagicSize + 2);
  unsigned major = prefix[6], minor = prefix[7];
  if ((major != 1 && major != 2 && major != 3) || minor != 0)
    fail(name, "unsupported .npy format version " + std::to_string(major) + "." +
                   std::to_string(minor) + " (supported: 1.0, 2.0, 3.0)");
  size_t len_bytes = major == 1 ? 2 : 4;
  size_t preamble = kMagicSize + 2 + len_bytes;
  if (prefix_size < preamble) truncated(preamble);
  uint64_t total = preamble + uint64_t{read_le(prefix + kMagicSize + 2, len_bytes)};
  if (total > file_size)
    fail(name, "header length " + std::to_string(total - preamble) +
                   " reaches past the end of the file: the header needs " + std::to_string(total) +
                   " bytes but the file has " + std::to_string(file_size));
  return static_cast<size_t>(total);
}

NpyHeader parse_npy_header(const unsigned char* bytes, size_t header_size,
                           const std::string& name) {
  size_t preamble = bytes[6] == 1 ? 10 : 12;
  WICK_ASSERT(header_size >= preamble, "npy header shorter than its preamble");
  std::string_view text(reinterpret_cast<const char*>(bytes) + preamble, header_size - preamble);
  HeaderDict dict = DictParser(text, name).parse();

  std::optional<DType> dtype = dtype_from_descr(*dict.descr);
  if (!dtype) {
    std::string d = printable(*dict.descr);
    std::string hint = !d.empty() && d[0] == '>' ? "; big-endian data is not supported, save with "
                                                   "a.astype(a.dtype.newbyteorder('<'))"
                                                 : "";
    fail(name, "unsupported .npy dtype '" + d +
                   "' (supported: <f4, <f8, <f2, <i8, <i4, <i2, |i1, |u1, |b1)" + hint);
  }
  if (*dict.fortran_order)
    fail(name, "Fortran-order arrays are not supported; save with np.ascontiguousarray");

  NpyHeader h;
  h.dtype = *dtype;
  h.shape = std::move(*dict.shape);
  int64_t numel = 0;
  if (!checked_numel(h.shape, &numel) ||
      !checked_mul(numel, static_cast<int64_t>(dtype_size(h.dtype)), &h.data_bytes) ||
      h.data_bytes > kMaxTensorBytes)
    fail(name, "array of shape " + shape_str(h.shape) + " and dtype '" + *dict.descr +
                   "' is too large (the limit is " + std::to_string(kMaxTensorBytes >> 30) +
                   " GiB)");
  return h;
}

std::string format_npy_header(DType dtype, const std::vector<int64_t>& shape) {
  if (!descr_entry(dtype))
    throw Error("dtype " + std::string(dtype_name(dtype)) +
                " has no .npy equivalent; convert the tensor to f32 first");
  std::string dict = "{'descr': '" + descr_of(dtype) +
                     "', 'fortran_order': False, 'shape': " + shape_tuple(shape) + ", }";
  // Version 1.0 has a 16-bit header length; switch to 2.0 only when needed.
  for (unsigned major : {1u, 2u}) {
    size_t preamble = major == 1 ? 10 : 12;
    size_t total = (preamble + dict.size() + 1 + 63) / 64 * 64;
    size_t header_len = total - preamble;
    if (major == 1 && header_len > 0xffff) continue;
    std::string out(kMagic, kMagicSize);
    out += static_cast<char>(major);
    out += '\0';
    for (size_t i = 0; i < preamble - kMagicSize - 2; ++i)
      out += static_cast<char>((header_len >> (8 * i)) & 0xff);
    out += dict;
    out.append(total - out.size() - 1, ' ');
    out += '\n';
    return out;
  }
  WICK_ASSERT(false, "unreachable");
  return {};
}

}  // namespace wick
