//===- FuzzInput.h - A fuzzer's input as a verified graph --------*- C++
//-*-===//
#ifndef EINSUM_TESTS_FUZZ_FUZZINPUT_H
#define EINSUM_TESTS_FUZZ_FUZZINPUT_H

#include "ir/Parser.h"
#include "ir/Verifier.h"

#include <optional>

namespace einsum {

/// The input parsed and verified, or nullopt: the targets that run passes
/// or backends start from graphs the verifier accepts.
inline std::optional<Graph> verifiedGraph(const uint8_t *data, size_t size) {
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  llvm::Expected<Graph> g = parseGraph(text, "fuzz.eg");
  if (!g) {
    llvm::consumeError(g.takeError());
    return std::nullopt;
  }
  if (llvm::Error err = verify(*g)) {
    llvm::consumeError(std::move(err));
    return std::nullopt;
  }
  return std::move(*g);
}

} // namespace einsum

#endif // EINSUM_TESTS_FUZZ_FUZZINPUT_H
