#include "frontend/zip_inflate.h"

#include <zlib.h>

#include <algorithm>
#include <limits>
#include <vector>

#include "frontend/byte_source.h"
#include "support/error.h"

namespace wick {

namespace {

// zlib counts in uInt; feed it in pieces no larger than this.
constexpr uint64_t kChunk = uint64_t{1} << 20;

class Inflater {
 public:
  Inflater() {
    if (inflateInit2(&z_, -MAX_WBITS) != Z_OK) throw Error("cannot initialise zlib");
  }
  ~Inflater() { inflateEnd(&z_); }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;
  z_stream* operator->() { return &z_; }
  z_stream* get() { return &z_; }

 private:
  z_stream z_{};
};

}  // namespace

void inflate_entry(const ByteSource& src, uint64_t in_offset, uint64_t in_size, char* out,
                   uint64_t out_size, const std::string& entry) {
  auto fail = [&](const std::string& why) -> void {
    throw Error("entry '" + entry + "' " + why, SourceLocation{src.name()});
  };
  Inflater z;
  std::vector<unsigned char> in_buf(static_cast<size_t>(std::min(in_size, kChunk)));
  uint64_t in_left = in_size;
  uint64_t out_done = 0;
  unsigned char spill = 0;  // receives a byte produced past the declared size
  bool ended = false;
  while (!ended) {
    if (z->avail_in == 0 && in_left > 0) {
      size_t n = static_cast<size_t>(std::min(in_left, kChunk));
      src.read(in_offset + (in_size - in_left), in_buf.data(), n);
      in_left -= n;
      z->next_in = in_buf.data();
      z->avail_in = static_cast<uInt>(n);
    }
    const bool full = out_done == out_size;
    if (full) {
      z->next_out = &spill;
      z->avail_out = 1;
    } else {
      z->next_out = reinterpret_cast<Bytef*>(out + out_done);
      z->avail_out = static_cast<uInt>(std::min(out_size - out_done, kChunk));
    }
    const uInt before_out = z->avail_out;
    const uInt before_in = z->avail_in;
    int rc = inflate(z.get(), Z_NO_FLUSH);
    const uInt produced = before_out - z->avail_out;
    if (full && produced > 0)
      fail("inflates to more than its declared size of " + std::to_string(out_size) + " bytes");
    if (!full) out_done += produced;
    if (rc == Z_STREAM_END) {
      ended = true;
    } else if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT || rc == Z_MEM_ERROR) {
      fail(std::string("has corrupt deflate data") + (z->msg ? std::string(": ") + z->msg : ""));
    } else if (produced == 0 && z->avail_in == before_in) {
      // zlib always progresses while it has input and output room, so no
      // progress means the compressed bytes ran out before the stream ended.
      fail(in_left == 0 ? "has a truncated deflate stream" : "has corrupt deflate data");
    }
  }
  if (out_done != out_size)
    fail("inflates to " + std::to_string(out_done) + " bytes but declares " +
         std::to_string(out_size));
}

uint32_t crc32_of(const void* data, uint64_t n) {
  uLong crc = crc32(0L, Z_NULL, 0);
  const Bytef* p = static_cast<const Bytef*>(data);
  while (n > 0) {
    uInt piece = static_cast<uInt>(std::min<uint64_t>(n, std::numeric_limits<uInt>::max()));
    crc = crc32(crc, p, piece);
    p += piece;
    n -= piece;
  }
  return static_cast<uint32_t>(crc);
}

}  // namespace wick
