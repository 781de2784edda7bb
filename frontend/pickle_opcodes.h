// Names of the pickle opcodes (Python's pickletools spelling), so that errors
// say "BINGET" rather than "0x68".
#pragma once

#include <cstdint>

namespace wick {

// nullptr for a byte that is no pickle opcode of any protocol.
const char* pickle_opcode_name(uint8_t op);

}  // namespace wick
