// A small JSON reader and writing helpers, for manifest.json. The reader
// takes untrusted text: nesting depth and input size are bounded, numbers
// keep their text so integers read back exactly, and every error is a
// wick::Error with the file, line and column.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wick::rt {

class Json {
 public:
  enum class Kind { null, boolean, number, string, array, object };

  Kind kind() const { return kind_; }
  bool is(Kind k) const { return kind_ == k; }

  bool boolean() const { return boolean_; }
  const std::string& text() const { return text_; }  // a string's value, a number's source text
  const std::vector<Json>& items() const { return items_; }
  const std::vector<std::pair<std::string, Json>>& members() const { return members_; }
  // The member named `key` of an object, or null.
  const Json* find(std::string_view key) const;

  static const char* kind_name(Kind k);

 private:
  friend class JsonParser;
  Kind kind_ = Kind::null;
  bool boolean_ = false;
  std::string text_;
  std::vector<Json> items_;
  std::vector<std::pair<std::string, Json>> members_;
};

inline constexpr int kMaxJsonDepth = 32;

// Parses one JSON value (RFC 8259) filling the whole text. Duplicate object
// keys are an error.
Json parse_json(std::string_view text, const std::string& file);

// `s` as a JSON string literal, quotes included.
std::string json_quote(std::string_view s);

}  // namespace wick::rt
