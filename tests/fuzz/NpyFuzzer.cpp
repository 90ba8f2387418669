//===- NpyFuzzer.cpp - Parse .npy bytes, write them back, parse again -----===//
//
// Any bytes must give a tensor or an error, never a crash, a hang or an
// allocation the bytes do not pay for: parseNpy checks the header against
// the size before it allocates, so the fuzzer's memory limit catches a
// header that makes it reserve what the input does not hold. A tensor must
// serialize to bytes that parse back to the same type and the same data.
//
//===----------------------------------------------------------------------===//
#include "ir/Diagnostic.h"
#include "ir/Npy.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

using namespace einsum;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  // The type check sees every header that gets that far; refusing the
  // odd-sized ones exercises the early return too.
  llvm::Expected<TensorData> t =
      parseNpy(bytes, "fuzz.npy", [](const TensorType &type) -> llvm::Error {
        if (type.rank() == 7)
          return makeError("rank 7 refused");
        return llvm::Error::success();
      });
  if (!t) {
    for (const Diagnostic &d : takeDiagnostics(t.takeError()))
      (void)d.str();
    return 0;
  }
  std::string written = serializeNpy(*t);
  llvm::Expected<TensorData> back = parseNpy(written, "written.npy");
  if (!back) {
    std::fprintf(stderr, "written form does not parse: %s\n",
                 firstMessage(back.takeError()).c_str());
    std::abort();
  }
  if (back->type() != t->type() || back->sizeInBytes() != t->sizeInBytes() ||
      std::memcmp(back->raw(), t->raw(), size_t(t->sizeInBytes())) != 0) {
    std::fprintf(stderr, "round trip changed %s into %s\n",
                 t->type().str().c_str(), back->type().str().c_str());
    std::abort();
  }
  return 0;
}
