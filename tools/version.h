#pragma once

namespace wick {
inline constexpr const char* kVersion = "0.1.0";
}
