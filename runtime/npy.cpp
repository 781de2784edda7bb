// .npy files to and from tensors. The header is checked first (see
// npy_header.h) and the data size against what the file really holds, so a
// corrupt file is an error before anything large is allocated; the data is
// then read straight into the tensor's storage.
#include "runtime/npy.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "runtime/npy_header.h"
#include "support/error.h"

namespace wick {
namespace {

[[noreturn]] void fail(const std::string& name, std::string message) {
  throw Error(std::move(message), SourceLocation{name});
}

// Checks that `available` bytes after the header hold the whole array; extra
// trailing bytes are ignored, as numpy does.
void check_data_size(const NpyHeader& h, uint64_t available, const std::string& name) {
  if (available < static_cast<uint64_t>(h.data_bytes))
    fail(name, "truncated .npy data: " + std::string(dtype_name(h.dtype)) + shape_str(h.shape) +
                   " needs " + std::to_string(h.data_bytes) + " bytes but the file holds " +
                   std::to_string(available));
}

Tensor allocate(const NpyHeader& h, const std::string& name) {
  try {
    return Tensor::zeros(h.dtype, h.shape);
  } catch (const Error& e) {
    throw e.with_file(name);
  }
}

// numpy's bools are bytes that should be 0 or 1; anything else would be
// undefined behaviour once read as a C++ bool, so it is normalised here.
void normalise_bools(Tensor& t) {
  if (t.dtype() != DType::b8) return;
  auto* p = t.data_as<unsigned char>();
  for (int64_t i = 0, n = t.numel(); i < n; ++i) p[i] = p[i] != 0;
}

// The header of `t`, after checking it can be written at all.
std::string header_for(const Tensor& t, const std::string& name) {
  try {
    if (!t.defined()) throw Error("cannot write an undefined tensor as .npy");
    if (t.device().kind != DeviceKind::cpu)
      throw Error("cannot write a " + t.device().str() +
                  " tensor as .npy; copy it to the CPU first");
    return format_npy_header(t.dtype(), t.sizes());
  } catch (const Error& e) {
    throw e.with_file(name);
  }
}

}  // namespace

Tensor parse_npy(const void* data, size_t size, const std::string& name) {
  WICK_ASSERT(data != nullptr || size == 0, "parse_npy of a null buffer");
  const auto* bytes = static_cast<const unsigned char*>(data);
  size_t header_size = npy_header_size(bytes, size, size, name);
  NpyHeader h = parse_npy_header(bytes, header_size, name);
  check_data_size(h, size - header_size, name);
  Tensor t = allocate(h, name);
  if (h.data_bytes > 0)
    std::memcpy(t.data(), bytes + header_size, static_cast<size_t>(h.data_bytes));
  normalise_bools(t);
  return t;
}

Tensor read_npy(const std::string& path) {
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (ec) fail(path, "cannot open file: " + ec.message());
  if (std::filesystem::is_directory(status)) fail(path, "cannot open file: it is a directory");
  // Reading a pipe or a device could block forever or never end.
  if (!std::filesystem::is_regular_file(status)) fail(path, "cannot open file: not a regular file");

  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in)
    fail(path, "cannot open file: " + std::string(errno ? std::strerror(errno) : "unknown error"));
  in.seekg(0, std::ios::end);
  std::streamoff end = in.tellg();
  in.seekg(0, std::ios::beg);
  if (end < 0 || !in) fail(path, "cannot determine the size of the file");
  const uint64_t file_size = static_cast<uint64_t>(end);

  auto read_exactly = [&](char* dst, uint64_t n) {
    in.read(dst, static_cast<std::streamsize>(n));
    if (static_cast<uint64_t>(in.gcount()) != n)
      fail(path, "read error: the file ended after " + std::to_string(in.gcount()) + " of " +
                     std::to_string(n) + " bytes (was it changed while being read?)");
  };

  // The header size is known from the preamble and is at most the file size.
  std::string header(static_cast<size_t>(std::min<uint64_t>(file_size, kNpyPreambleMax)), '\0');
  read_exactly(header.data(), header.size());
  const auto* prefix = reinterpret_cast<const unsigned char*>(header.data());
  size_t header_size = npy_header_size(prefix, header.size(), file_size, path);
  size_t have = header.size();
  header.resize(header_size);
  read_exactly(header.data() + have, header_size - have);

  NpyHeader h =
      parse_npy_header(reinterpret_cast<const unsigned char*>(header.data()), header_size, path);
  check_data_size(h, file_size - header_size, path);
  Tensor t = allocate(h, path);
  if (h.data_bytes > 0)
    read_exactly(static_cast<char*>(t.data()), static_cast<uint64_t>(h.data_bytes));
  normalise_bools(t);
  return t;
}

std::string encode_npy(const Tensor& t) {
  std::string out = header_for(t, "");
  Tensor c = t.contiguous();
  out.append(static_cast<const char*>(c.data()), c.nbytes());
  return out;
}

void write_npy(const std::string& path, const Tensor& t) {
  std::string header = header_for(t, path);
  Tensor c = t.contiguous();
  errno = 0;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out)
    fail(path, "cannot open file for writing: " +
                   std::string(errno ? std::strerror(errno) : "unknown error"));
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  out.write(static_cast<const char*>(c.data()), static_cast<std::streamsize>(c.nbytes()));
  out.close();
  if (!out)
    fail(path,
         "error writing file: " + std::string(errno ? std::strerror(errno) : "unknown error"));
}

}  // namespace wick
