//===- BrokenPlugin.cpp - Plugins that fail to load, one way each ---------===//
//
// Built once per way, with EG_BROKEN_PLUGIN_<WAY> defined
// (tests/CMakeLists.txt), for the loader's error tests. None of them needs a
// symbol of the project, so any host can load them.
//
//===----------------------------------------------------------------------===//
#include "backends/BackendPlugin.h"

using namespace einsum;

#if defined(EG_BROKEN_PLUGIN_UNDEFINED_SYMBOL)
// A function no host defines: the load fails, rather than a call crashing
// later.
extern "C" int egFunctionNoHostDefines();
#endif

namespace {

[[maybe_unused]] std::unique_ptr<Backend> createNothing() { return nullptr; }

#if defined(EG_BROKEN_PLUGIN_NO_ENTRY) || defined(EG_BROKEN_PLUGIN_NULL_INFO)

// Registers fine; the entry point is what is wrong (below).
const BackendPluginInfo info = {
    kBackendPluginAbiVersion, "broken", "1.0", [](BackendRegistrar &r) {
      return r.add("plugin-test-broken", createNothing);
    }};

#elif defined(EG_BROKEN_PLUGIN_UNDEFINED_SYMBOL)

const BackendPluginInfo info = {
    kBackendPluginAbiVersion, "broken", "1.0",
    [](BackendRegistrar &) { return egFunctionNoHostDefines() == 0; }};

#elif defined(EG_BROKEN_PLUGIN_ABI_MISMATCH)

const BackendPluginInfo info = {999, "broken", "1.0", [](BackendRegistrar &r) {
                                  return r.add("plugin-test-broken",
                                               createNothing);
                                }};

#elif defined(EG_BROKEN_PLUGIN_NULL_REGISTRATION)

const BackendPluginInfo info = {kBackendPluginAbiVersion, "broken", "1.0",
                                nullptr};

#elif defined(EG_BROKEN_PLUGIN_DUPLICATE)

// The first name is free, the second a built-in backend's: the load fails
// and takes the first one back.
const BackendPluginInfo info = {kBackendPluginAbiVersion, "broken", "1.0",
                                [](BackendRegistrar &r) {
                                  r.add("plugin-test-duplicate", createNothing);
                                  return r.add("reference", createNothing);
                                }};

#elif defined(EG_BROKEN_PLUGIN_FAILS)

const BackendPluginInfo info = {kBackendPluginAbiVersion, "broken", "1.0",
                                [](BackendRegistrar &r) {
                                  r.add("plugin-test-fails", createNothing);
                                  return false;
                                }};

#elif defined(EG_BROKEN_PLUGIN_EMPTY)

const BackendPluginInfo info = {kBackendPluginAbiVersion, "broken", "1.0",
                                [](BackendRegistrar &) { return true; }};

#else
#error "define one EG_BROKEN_PLUGIN_<WAY>"
#endif

} // namespace

#if defined(EG_BROKEN_PLUGIN_NO_ENTRY)
// A shared library whose entry point has another name.
extern "C" __attribute__((visibility("default"))) const BackendPluginInfo *
egGetBackendPluginInfoV2() {
  return &info;
}
#elif defined(EG_BROKEN_PLUGIN_NULL_INFO)
extern "C" const BackendPluginInfo *egGetBackendPluginInfo() { return nullptr; }
#else
extern "C" const BackendPluginInfo *egGetBackendPluginInfo() { return &info; }
#endif
