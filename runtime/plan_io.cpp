#include "runtime/plan_io.h"

#include <cstring>
#include <type_traits>

#include "runtime/byte_io.h"
#include "runtime/checksum.h"
#include "runtime/file_util.h"
#include "runtime/plan_fields.h"
#include "runtime/plan_printer.h"
#include "runtime/plan_validate.h"

namespace wick::rt {
namespace {

// A struct that changes size has gained or lost a field: list it in
// plan_fields.h (which the writer, reader and printer all walk), bump
// kPlanFormatVersion, then update the size here.
#if defined(__x86_64__) && defined(__GLIBCXX__)
static_assert(sizeof(Instr) == 312, "rt::Instr changed: update plan_fields.h and kPlanFormatVersion");
static_assert(sizeof(Block) == 72, "rt::Block changed: update plan_fields.h and kPlanFormatVersion");
static_assert(sizeof(Plan) == 264, "rt::Plan changed: update plan_fields.h and kPlanFormatVersion");
static_assert(sizeof(TensorSpec) == 56, "rt::TensorSpec changed: update plan_fields.h and kPlanFormatVersion");
#endif

constexpr char kMagic[8] = {'W', 'I', 'C', 'K', 'P', 'L', 'A', 'N'};
constexpr size_t kHeaderSize = 32;

class Writer {
 public:
  explicit Writer(ByteWriter& out) : out_(out) {}

  void operator()(const char*, const auto& field) { put(field); }

 private:
  void put(uint8_t v) { out_.u8(v); }
  void put(int32_t v) { out_.i32(v); }
  void put(int64_t v) { out_.i64(v); }
  void put(float v) { out_.u32(std::bit_cast<uint32_t>(v)); }
  void put(double v) { out_.f64(v); }
  void put(const std::string& s) { out_.str(s); }
  template <typename E>
    requires std::is_enum_v<E>
  void put(E e) {
    static_assert(sizeof(E) == 1, "plan enums are one byte");
    out_.u8(static_cast<uint8_t>(e));
  }
  template <typename T>
  void put(const std::vector<T>& xs) {
    out_.u32(ByteWriter::checked_count(xs.size()));
    for (const T& x : xs) put(x);
  }
  template <typename A, typename B>
  void put(const std::pair<A, B>& p) {
    put(p.first);
    put(p.second);
  }
  void put(const TensorSpec& s) { tensor_spec_fields(*this, s); }
  void put(const Instr& in) { instr_fields(*this, in); }
  void put(const Block& b) {
    if (++depth_ > kMaxPlanDepth) throw Error("plan blocks nested deeper than " + std::to_string(kMaxPlanDepth));
    block_fields(*this, b);
    --depth_;
  }

  ByteWriter& out_;
  int depth_ = 0;
};

class Reader {
 public:
  explicit Reader(ByteReader& in) : in_(in) {}

  void operator()(const char* name, auto& field) {
    name_ = name;
    get(field);
  }

 private:
  void get(uint8_t& v) { v = in_.u8(); }
  void get(int32_t& v) { v = in_.i32(); }
  void get(int64_t& v) { v = in_.i64(); }
  void get(float& v) { v = std::bit_cast<float>(in_.u32()); }
  void get(double& v) { v = in_.f64(); }
  void get(std::string& s) { s = in_.str(name_); }
  void get(DType& t) { t = checked_enum<DType>([](DType d) { return known_dtype(d); }); }
  void get(Op& op) { op = checked_enum<Op>([](Op o) { return op_name(o) != nullptr; }); }
  void get(ScalarType& t) { t = checked_enum<ScalarType>([](ScalarType s) { return scalar_type_name(s) != nullptr; }); }
  void get(PlanDevice& d) { d = checked_enum<PlanDevice>([](PlanDevice x) { return plan_device_name(x) != nullptr; }); }
  // Vectors of fixed-size elements are sized up front (the count is checked
  // against the bytes left); vectors of structs grow as their elements
  // decode, so memory stays proportional to the data actually present.
  template <typename T>
  void get(std::vector<T>& xs) {
    constexpr bool fixed = std::is_arithmetic_v<T>;
    const uint32_t n = in_.count(fixed ? sizeof(T) : 1, name_);
    const char* name = name_;
    xs.clear();
    if (fixed) xs.reserve(n);
    for (uint32_t i = 0; i < n; ++i) {
      name_ = name;
      get(xs.emplace_back());
    }
  }
  template <typename A, typename B>
  void get(std::pair<A, B>& p) {
    get(p.first);
    get(p.second);
  }
  void get(TensorSpec& s) { tensor_spec_fields(*this, s); }
  void get(Instr& in) { instr_fields(*this, in); }
  void get(Block& b) {
    if (++depth_ > kMaxPlanDepth) in_.fail("blocks nested deeper than " + std::to_string(kMaxPlanDepth));
    block_fields(*this, b);
    --depth_;
  }

  static bool known_dtype(DType t) {
    for (DType d : kAllDTypes)
      if (d == t) return true;
    return false;
  }
  template <typename E, typename Valid>
  E checked_enum(Valid valid) {
    const size_t at = in_.pos();
    const uint8_t raw = in_.u8();
    const E e = static_cast<E>(raw);
    if (!valid(e)) in_.fail_at(at, "bad " + std::string(name_) + " value " + std::to_string(raw));
    return e;
  }

  ByteReader& in_;
  const char* name_ = "";
  int depth_ = 0;
};

}  // namespace

std::string encode_plan(const Plan& plan) {
  ByteWriter payload;
  plan_fields(Writer(payload), plan);
  ByteWriter out;
  out.bytes(kMagic, sizeof kMagic);
  out.u32(kPlanFormatVersion);
  out.u32(0);
  out.u64(payload.size());
  out.u64(xxh64(payload.data()));
  out.bytes(payload.data().data(), payload.size());
  return std::move(out.data());
}

Plan decode_plan(std::string_view bytes, const std::string& file) {
  ByteReader header(bytes.data(), bytes.size(), file);
  if (bytes.size() < kHeaderSize) header.fail("not a wick plan: the file is " + std::to_string(bytes.size()) + " bytes long");
  if (std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) header.fail("not a wick plan (bad magic)");
  header.take(sizeof kMagic, "magic");
  const uint32_t version = header.u32();
  if (version != kPlanFormatVersion)
    throw Error("plan format version " + std::to_string(version) + ", but this runtime reads version " +
                    std::to_string(kPlanFormatVersion) + ": recompile the model with this wick",
                SourceLocation{file});
  if (header.u32() != 0) header.fail("reserved header field is not 0 (file corrupt)");
  const uint64_t size = header.u64();
  const uint64_t checksum = header.u64();
  if (size != bytes.size() - kHeaderSize)
    throw Error("plan payload is " + std::to_string(bytes.size() - kHeaderSize) + " bytes, the header says " +
                    std::to_string(size) + " (file truncated or corrupt)",
                SourceLocation{file});
  const std::string_view payload = bytes.substr(kHeaderSize);
  if (xxh64(payload) != checksum) throw Error("plan checksum mismatch (file corrupt)", SourceLocation{file});

  ByteReader in(payload.data(), payload.size(), file, kHeaderSize);
  Plan plan;
  plan_fields(Reader(in), plan);
  if (!in.at_end()) in.fail(std::to_string(in.remaining()) + " bytes of trailing data");
  validate_plan(plan, file);
  return plan;
}

void write_plan(const std::string& path, const Plan& plan) { write_file_atomic(path, encode_plan(plan)); }

Plan read_plan(const std::string& path) { return decode_plan(read_file(path, kMaxPlanFileBytes), path); }

}  // namespace wick::rt
