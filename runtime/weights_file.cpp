#include "runtime/weights_file.h"

#include <cstring>
#include <set>

#include "runtime/byte_io.h"
#include "runtime/checksum.h"
#include "runtime/file_util.h"

namespace wick::rt {
namespace {

constexpr char kMagic[8] = {'W', 'I', 'C', 'K', 'W', 'G', 'T', 'S'};
constexpr uint64_t kHeaderSize = 64;
constexpr uint64_t kAlign = 64;
constexpr int kMaxRank = 16;
constexpr size_t kMaxNameBytes = 4096;

uint64_t align_up(uint64_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

bool known_dtype(uint8_t raw) {
  for (DType d : kAllDTypes)
    if (static_cast<uint8_t>(d) == raw) return true;
  return false;
}

}  // namespace

const Tensor* WeightsFile::find(const std::string& name) const {
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return &tensors[i];
  return nullptr;
}

WeightsFile write_weights(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& tensors) {
  ByteWriter table;
  std::vector<Tensor> contiguous;
  std::set<std::string> seen;
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    if (!seen.insert(name).second) throw Error("tensor \"" + name + "\" written twice", SourceLocation{path});
    if (t.device() != Device{}) throw Error("tensor \"" + name + "\" is not on the CPU", SourceLocation{path});
    Tensor c = t.contiguous();
    table.str(name);
    table.u8(static_cast<uint8_t>(c.dtype()));
    table.u32(static_cast<uint32_t>(c.dim()));
    for (int64_t s : c.sizes()) table.i64(s);
    table.u64(offset);
    table.u64(c.nbytes());
    offset = align_up(offset + c.nbytes());
    contiguous.push_back(std::move(c));
  }
  ByteWriter data;
  for (const Tensor& c : contiguous) {
    data.bytes(c.data(), c.nbytes());
    data.pad_to(kAlign);
  }
  const uint64_t data_offset = align_up(kHeaderSize + table.size());
  ByteWriter out;
  out.bytes(kMagic, sizeof kMagic);
  out.u32(kWeightsFormatVersion);
  out.u32(ByteWriter::checked_count(tensors.size()));
  out.u64(table.size());
  out.u64(data_offset);
  out.u64(data.size());
  out.u64(xxh64(table.data()));
  out.u64(xxh64(data.data()));
  out.u64(0);
  out.bytes(table.data().data(), table.size());
  out.pad_to(kAlign);
  out.bytes(data.data().data(), data.size());
  write_file_atomic(path, out.data());

  WeightsFile result;
  result.data_checksum = xxh64(data.data());
  result.file_size = out.size();
  return result;
}

WeightsFile open_weights(const std::string& path) {
  std::shared_ptr<MappedFile> file = MappedFile::open(path);
  const char* base = file->data();
  const uint64_t size = file->size();
  ByteReader header(base, size, path);
  if (size < kHeaderSize) header.fail("not a wick weights file: it is " + std::to_string(size) + " bytes long");
  if (std::memcmp(base, kMagic, sizeof kMagic) != 0) header.fail("not a wick weights file (bad magic)");
  header.take(sizeof kMagic, "magic");
  const uint32_t version = header.u32();
  if (version != kWeightsFormatVersion)
    throw Error("weights format version " + std::to_string(version) + ", but this runtime reads version " +
                    std::to_string(kWeightsFormatVersion) + ": recompile the model with this wick",
                SourceLocation{path});
  const uint32_t count = header.u32();
  const uint64_t table_size = header.u64();
  const uint64_t data_offset = header.u64();
  const uint64_t data_size = header.u64();
  const uint64_t table_checksum = header.u64();
  const uint64_t data_checksum = header.u64();
  if (header.u64() != 0) header.fail("reserved header field is not 0 (file corrupt)");
  if (table_size > size - kHeaderSize || data_offset % kAlign != 0 || data_offset < kHeaderSize + table_size ||
      data_offset > size || data_size != size - data_offset)
    throw Error("weights file layout does not match its size of " + std::to_string(size) +
                    " bytes (file truncated or corrupt)",
                SourceLocation{path});
  const char* table_bytes = base + kHeaderSize;
  const char* data = base + data_offset;
  if (xxh64(table_bytes, table_size) != table_checksum)
    throw Error("weights table checksum mismatch (file corrupt)", SourceLocation{path});
  if (xxh64(data, data_size) != data_checksum)
    throw Error("weights data checksum mismatch (file corrupt)", SourceLocation{path});

  WeightsFile result;
  result.data_checksum = data_checksum;
  result.file_size = size;
  ByteReader table(table_bytes, table_size, path, kHeaderSize);
  // A table entry takes at least 25 bytes (empty name, rank 0).
  if (count > table_size / 25) table.fail("bad tensor count " + std::to_string(count));
  std::set<std::string> seen;
  for (uint32_t i = 0; i < count; ++i) {
    std::string name = table.str("tensor name");
    if (name.empty() || name.size() > kMaxNameBytes) table.fail("bad tensor name length " + std::to_string(name.size()));
    if (!seen.insert(name).second) table.fail("tensor \"" + name + "\" appears twice");
    const uint8_t raw = table.u8();
    if (!known_dtype(raw)) table.fail("tensor \"" + name + "\" has unknown dtype " + std::to_string(raw));
    const DType dtype = static_cast<DType>(raw);
    const uint32_t rank = table.u32();
    if (rank > kMaxRank) table.fail("tensor \"" + name + "\" has rank " + std::to_string(rank));
    std::vector<int64_t> sizes(rank);
    for (int64_t& s : sizes) s = table.i64();
    const uint64_t offset = table.u64();
    const uint64_t nbytes = table.u64();
    int64_t numel = 0, expected = 0;
    if (!checked_numel(sizes, &numel) || !checked_mul(numel, static_cast<int64_t>(dtype_size(dtype)), &expected) ||
        static_cast<uint64_t>(expected) != nbytes)
      table.fail("tensor \"" + name + "\" has shape " + shape_str(sizes) + " but " + std::to_string(nbytes) + " bytes");
    if (offset % kAlign != 0 || offset > data_size || nbytes > data_size - offset)
      table.fail("tensor \"" + name + "\" lies outside the data");
    // Kernels only read module tensors; the mapping is read-only, so a write
    // would fault rather than change the model.
    void* p = const_cast<char*>(data + offset);
    auto storage = std::make_shared<Storage>(p, static_cast<size_t>(nbytes), Device{}, [file](void*) {});
    result.tensors.push_back(
        Tensor::view_of(std::move(storage), dtype, sizes, Tensor::contiguous_strides(sizes), 0));
    result.names.push_back(std::move(name));
  }
  if (!table.at_end()) table.fail(std::to_string(table.remaining()) + " bytes of trailing table data");
  return result;
}

}  // namespace wick::rt
