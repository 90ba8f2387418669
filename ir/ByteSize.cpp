//===- ByteSize.cpp -------------------------------------------------------===//
#include "ir/ByteSize.h"

#include "ir/Diagnostic.h"

#include <fmt/format.h>

namespace einsum {

std::string formatBytes(uint64_t bytes) {
  if (bytes < 1024)
    return fmt::format("{} byte{}", bytes, bytes == 1 ? "" : "s");
  static const char *const kUnits[] = {"KiB", "MiB", "GiB",
                                       "TiB", "PiB", "EiB"};
  double value = double(bytes) / 1024;
  size_t unit = 0;
  // Rounded as printed, so 1023.96 KiB reads "1.0 MiB", not "1024.0 KiB".
  while (value >= 1024 - 0.05 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  return fmt::format("{:.1f} {}", value, kUnits[unit]);
}

llvm::Expected<uint64_t> parseByteSize(llvm::StringRef text) {
  auto bad = [&](llvm::StringRef why) {
    return makeError(
        fmt::format("'{}' is not a size: {}", text.str(), why.str()));
  };
  llvm::StringRef digits =
      text.take_while([](char c) { return c >= '0' && c <= '9'; });
  llvm::StringRef unit = text.drop_front(digits.size());
  if (digits.empty())
    return bad("expected a number of bytes, or a whole number followed by "
               "K, M, G or T (512M, 8G)");
  if (unit.starts_with("."))
    return bad("expected a whole number; use a smaller unit (1536M, not "
               "1.5G)");
  unsigned shift = 0;
  if (!unit.empty()) {
    switch (unit.front() | 0x20) {
    case 'k':
      shift = 10;
      break;
    case 'm':
      shift = 20;
      break;
    case 'g':
      shift = 30;
      break;
    case 't':
      shift = 40;
      break;
    default:
      return bad(
          fmt::format("unknown unit '{}'; use K, M, G or T", unit.str()));
    }
    llvm::StringRef suffix = unit.drop_front();
    if (!suffix.empty() && !suffix.equals_insensitive("b") &&
        !suffix.equals_insensitive("ib"))
      return bad(
          fmt::format("unknown unit '{}'; use K, M, G or T", unit.str()));
  }
  uint64_t value = 0;
  // getAsInteger fails on overflow as well as on anything not a number.
  if (digits.getAsInteger(10, value) || value > (UINT64_MAX >> shift))
    return bad("it does not fit in 64 bits");
  if (value == 0)
    return bad("it must be positive");
  return value << shift;
}

} // namespace einsum
