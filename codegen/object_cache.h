// The on-disk cache of compiled kernel objects. One file per key,
// `<dir>/<32 hex digits>.o`, holding a header (magic, key, payload size,
// payload checksum) and the object bytes. Files are written to a temporary
// name and renamed into place, so readers never see half a file; a file that
// is truncated, corrupt or belongs to another key reads as a miss.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "codegen/content_hash.h"

namespace wick::codegen {

// The directory the cache uses when none is configured: $WICK_CACHE_DIR, else
// $XDG_CACHE_HOME/wick, else $HOME/.cache/wick. Empty when caching is off
// ($WICK_CACHE_DIR=off) or no directory can be found.
std::string default_cache_dir();

class ObjectCache {
 public:
  // `dir`: as CompileOptions::cache_dir ("" = default_cache_dir(), "off").
  explicit ObjectCache(const std::string& dir);

  bool enabled() const { return !dir_.empty(); }
  const std::string& dir() const { return dir_; }
  std::string path_for(const Hash128& key) const;

  // The object stored under `key`; nullopt when absent or invalid.
  std::optional<std::string> load(const Hash128& key) const;
  // False when the file could not be written; the cache is then just colder.
  bool store(const Hash128& key, std::string_view object) const;

 private:
  std::string dir_;
};

}  // namespace wick::codegen
