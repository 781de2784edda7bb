// plan.bin: a Plan in a versioned little-endian binary format.
//
//   0   char[8]  magic "WICKPLAN"
//   8   u32      format version (kPlanFormatVersion)
//   12  u32      reserved, 0
//   16  u64      payload size in bytes
//   24  u64      XXH64 of the payload
//   32           payload: the fields of runtime/plan_fields.h in order;
//                integers and floats little-endian at their own width, enums
//                as u8, vectors and strings as a u32 count then the elements.
//
// Reading checks everything before trusting it (magic, version, sizes,
// checksum, counts against the bytes left, enum ranges, nesting depth) and
// then validates the plan (plan_validate.h); any problem is a wick::Error
// naming the file. A file of another format version is refused: plans are
// rebuilt by `wick compile`, never converted.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/plan.h"

namespace wick::rt {

inline constexpr uint32_t kPlanFormatVersion = 5;
inline constexpr size_t kMaxPlanFileBytes = size_t{1} << 30;

std::string encode_plan(const Plan& plan);
// `file` names the data in errors.
Plan decode_plan(std::string_view bytes, const std::string& file);

// Whole files; write_plan replaces `path` atomically (temporary file and rename).
void write_plan(const std::string& path, const Plan& plan);
Plan read_plan(const std::string& path);

}  // namespace wick::rt
