// Cache file layout (little-endian):
//   0  char[8]  magic "WICKOBJ1"
//   8  u64[2]   key (high, low)
//   24 u64      payload size
//   32 u64[2]   checksum of the payload (high, low)
//   48          payload: the object file
#include "codegen/object_cache.h"

#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>

namespace wick::codegen {
namespace {

constexpr char kMagic[8] = {'W', 'I', 'C', 'K', 'O', 'B', 'J', '1'};
constexpr size_t kHeaderSize = 48;
constexpr uint64_t kMaxPayload = uint64_t{1} << 30;  // no kernel object is near this

void put_u64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t get_u64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

}  // namespace

std::string default_cache_dir() {
  std::string dir = env("WICK_CACHE_DIR");
  if (dir == "off") return "";
  if (!dir.empty()) return dir;
  std::string xdg = env("XDG_CACHE_HOME");
  if (!xdg.empty()) return xdg + "/wick";
  std::string home = env("HOME");
  if (!home.empty()) return home + "/.cache/wick";
  return "";
}

ObjectCache::ObjectCache(const std::string& dir) {
  if (dir == "off") return;
  dir_ = dir.empty() ? default_cache_dir() : dir;
}

std::string ObjectCache::path_for(const Hash128& key) const {
  return dir_ + "/" + key.hex() + ".o";
}

std::optional<std::string> ObjectCache::load(const Hash128& key) const {
  if (!enabled()) return std::nullopt;
  std::error_code ec;
  std::string path = path_for(key);
  uintmax_t file_size = std::filesystem::file_size(path, ec);
  if (ec || file_size < kHeaderSize || file_size > kHeaderSize + kMaxPayload) return std::nullopt;

  std::ifstream in(path, std::ios::binary);
  std::string bytes(static_cast<size_t>(file_size), '\0');
  if (!in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()))) return std::nullopt;

  const char* h = bytes.data();
  if (std::memcmp(h, kMagic, sizeof kMagic) != 0) return std::nullopt;
  if (get_u64(h + 8) != key.high || get_u64(h + 16) != key.low) return std::nullopt;
  if (get_u64(h + 24) != file_size - kHeaderSize) return std::nullopt;
  std::string payload = bytes.substr(kHeaderSize);
  Hash128 sum = hash128(payload);
  if (get_u64(h + 32) != sum.high || get_u64(h + 40) != sum.low) return std::nullopt;
  return payload;
}

bool ObjectCache::store(const Hash128& key, std::string_view object) const {
  if (!enabled() || object.size() > kMaxPayload) return false;
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return false;

  std::string header(kMagic, sizeof kMagic);
  put_u64(header, key.high);
  put_u64(header, key.low);
  put_u64(header, object.size());
  Hash128 sum = hash128(object);
  put_u64(header, sum.high);
  put_u64(header, sum.low);

  // Unique per process and per call, so concurrent writers never share a file.
  static std::atomic<uint64_t> counter{0};
  std::string final_path = path_for(key);
  std::string temp_path = final_path + ".tmp." + std::to_string(::getpid()) + "." +
                          std::to_string(counter.fetch_add(1));
  {
    std::ofstream out(temp_path, std::ios::binary | std::ios::trunc);
    out.write(header.data(), static_cast<std::streamsize>(header.size()));
    out.write(object.data(), static_cast<std::streamsize>(object.size()));
    out.close();
    if (!out) {
      std::filesystem::remove(temp_path, ec);
      return false;
    }
  }
  std::filesystem::rename(temp_path, final_path, ec);
  if (ec) {
    std::filesystem::remove(temp_path, ec);
    return false;
  }
  return true;
}

}  // namespace wick::codegen
