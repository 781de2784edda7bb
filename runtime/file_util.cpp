#include "runtime/file_util.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "support/error.h"

namespace wick::rt {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw Error(what, SourceLocation{path});
}

[[noreturn]] void fail_errno(const std::string& path, const std::string& what) {
  fail(path, what + ": " + std::strerror(errno));
}

// An open descriptor of a regular file, closed on scope exit.
struct Fd {
  int fd = -1;
  size_t size = 0;
  Fd(const std::string& path) {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail_errno(path, "cannot open");
    struct stat st;
    if (::fstat(fd, &st) != 0) fail_errno(path, "cannot stat");
    if (!S_ISREG(st.st_mode)) fail(path, "not a regular file");
    size = static_cast<size_t>(st.st_size);
  }
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

std::string read_file(const std::string& path, size_t max_bytes) {
  Fd f(path);
  if (f.size > max_bytes)
    fail(path, "file is " + std::to_string(f.size) + " bytes, more than the " + std::to_string(max_bytes) + " allowed");
  std::string bytes(f.size, '\0');
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::read(f.fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail_errno(path, "cannot read");
    if (n == 0) fail(path, "file shrank while being read");
    done += static_cast<size_t>(n);
  }
  return bytes;
}

void write_file_atomic(const std::string& path, std::string_view bytes) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail_errno(path, "cannot write");
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int saved = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      errno = saved;
      fail_errno(path, "cannot write");
    }
    done += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) {
    ::unlink(tmp.c_str());
    fail_errno(path, "cannot write");
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int saved = errno;
    ::unlink(tmp.c_str());
    errno = saved;
    fail_errno(path, "cannot write");
  }
}

std::shared_ptr<MappedFile> MappedFile::open(const std::string& path) {
  Fd f(path);
  if (f.size == 0) fail(path, "file is empty");
  void* p = ::mmap(nullptr, f.size, PROT_READ, MAP_PRIVATE, f.fd, 0);
  if (p == MAP_FAILED) fail_errno(path, "cannot map");
  return std::shared_ptr<MappedFile>(new MappedFile(p, f.size, path));
}

MappedFile::~MappedFile() { ::munmap(data_, size_); }

}  // namespace wick::rt
