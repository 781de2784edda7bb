#include "frontend/byte_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "support/error.h"

namespace wick {

namespace {

[[noreturn]] void fail(const std::string& name, const std::string& message) {
  throw Error(message, SourceLocation{name});
}

void check_range(const ByteSource& src, uint64_t offset, size_t n) {
  if (offset > src.size() || n > src.size() - offset)
    fail(src.name(), "unexpected end of file: needed " + std::to_string(n) + " bytes at offset " +
                         std::to_string(offset) + " but the file has " +
                         std::to_string(src.size()) + " bytes");
}

class MemorySource final : public ByteSource {
 public:
  MemorySource(std::string bytes, std::string name)
      : ByteSource(std::move(name)), bytes_(std::move(bytes)) {}
  uint64_t size() const override { return bytes_.size(); }
  void read(uint64_t offset, void* dst, size_t n) const override {
    check_range(*this, offset, n);
    if (n) std::memcpy(dst, bytes_.data() + offset, n);
  }

 private:
  std::string bytes_;
};

class FileSource final : public ByteSource {
 public:
  FileSource(int fd, uint64_t size, std::string name)
      : ByteSource(std::move(name)), fd_(fd), size_(size) {}
  ~FileSource() override { ::close(fd_); }
  uint64_t size() const override { return size_; }
  void read(uint64_t offset, void* dst, size_t n) const override {
    check_range(*this, offset, n);
    char* out = static_cast<char*>(dst);
    while (n > 0) {
      ssize_t got = ::pread(fd_, out, n, static_cast<off_t>(offset));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) fail(name(), std::string("read failed: ") + std::strerror(errno));
      // The file shrank after it was opened.
      if (got == 0) fail(name(), "unexpected end of file at offset " + std::to_string(offset));
      out += got;
      offset += static_cast<uint64_t>(got);
      n -= static_cast<size_t>(got);
    }
  }

 private:
  int fd_;
  uint64_t size_;
};

}  // namespace

std::shared_ptr<const ByteSource> ByteSource::open_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(path, std::string("cannot open file: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    fail(path, "not a regular file");
  }
  return std::make_shared<FileSource>(fd, static_cast<uint64_t>(st.st_size), path);
}

std::shared_ptr<const ByteSource> ByteSource::from_string(std::string bytes, std::string name) {
  return std::make_shared<MemorySource>(std::move(bytes), std::move(name));
}

}  // namespace wick
