//===- BuiltinBackends.cpp - Registration of the built-in backends --------===//
#include "backends/Backend.h"
#include "backends/reference/ReferenceBackend.h"

namespace einsum {

void registerBuiltinBackends() {
  registerBackend("reference", [] { return createReferenceBackend(); });
}

} // namespace einsum
