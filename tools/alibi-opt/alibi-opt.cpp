//===- alibi-opt.cpp - The EinsumGraph driver -----------------------------===//
#include "tools/alibi-opt/AlibiOptMain.h"

// Under AddressSanitizer an allocation the system refuses comes back as
// null, as it does without the sanitizer, so the tool reports it as the
// error it is instead of the sanitizer ending the process.
#if defined(__SANITIZE_ADDRESS__)
extern "C" const char *__asan_default_options() {
  return "allocator_may_return_null=1";
}
#endif

int main(int argc, char **argv) { return einsum::alibiOptMain(argc, argv); }
