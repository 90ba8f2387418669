//===- BuiltinBackends.cpp - Registration of the built-in backends --------===//
#include "backends/Backend.h"
#include "backends/reference/ReferenceBackend.h"
#ifdef EG_HAVE_CPU_BACKEND
#include "backends/cpu/CpuBackend.h"
#endif

namespace einsum {

void registerBuiltinBackends() {
  registerBackend("reference", [] { return createReferenceBackend(); });
#ifdef EG_HAVE_CPU_BACKEND
  registerBackend("cpu", [] { return createCpuBackend(); });
#endif
}

llvm::StringRef omittedBuiltinBackendOption(llvm::StringRef name) {
#ifndef EG_HAVE_CPU_BACKEND
  if (name == "cpu")
    return "EG_ENABLE_CPU_BACKEND";
#endif
  return "";
}

} // namespace einsum
