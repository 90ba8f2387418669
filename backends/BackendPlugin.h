//===- BackendPlugin.h - The interface of backend plugins -------*- C++ -*-===//
//
// A backend plugin is a shared library that registers backends when it is
// loaded (alibi-opt --load-backend=PATH, or loadBackendPlugin). It exports
// one C function, found by name, that describes it:
//
//   extern "C" const einsum::BackendPluginInfo *egGetBackendPluginInfo() {
//     static const einsum::BackendPluginInfo info = {
//         einsum::kBackendPluginAbiVersion, "my-plugin", "1.0",
//         [](einsum::BackendRegistrar &registrar) {
//           return registrar.add("mine", [] { return createMine(); });
//         }};
//     return &info;
//   }
//
// The plugin is C++ and uses the project's classes (Backend, Executable,
// Graph, TensorData) as they are laid out in the process that loads it, so it
// must be built from the same sources, with the same compiler and flags. The
// ABI version is checked before anything else is read: bump it whenever this
// file or a class a plugin sees changes in a way that breaks built plugins.
// docs/plugins.md describes how a plugin's calls into the project resolve.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_BACKENDS_BACKENDPLUGIN_H
#define EINSUM_BACKENDS_BACKENDPLUGIN_H

#include "backends/Backend.h"

#include <cstdint>

namespace einsum {

/// The plugin interface version of this build.
inline constexpr uint32_t kBackendPluginAbiVersion = 5;

/// Where a plugin registers its backends. Virtual, so that a plugin calls it
/// through the loader's object and needs no symbol for it.
class BackendRegistrar {
public:
  virtual ~BackendRegistrar() = default;
  /// Registers `factory` under `name`. False if the name is taken: the load
  /// then fails, naming it, and none of the plugin's backends stay
  /// registered.
  virtual bool add(llvm::StringRef name, BackendFactory factory) = 0;
};

/// What the entry point points to. Plain data behind a pointer, so that the
/// loader can read `abiVersion` from a plugin built against any version of
/// this header, whatever the size of the rest.
struct BackendPluginInfo {
  /// kBackendPluginAbiVersion when the plugin was built; stays first.
  uint32_t abiVersion;
  const char *name;
  const char *version;
  /// Adds the plugin's backends; returns false if it cannot (the load then
  /// fails and the backends it added are removed again).
  bool (*registerBackends)(BackendRegistrar &registrar);
};

/// The name of the entry point, for dlsym.
inline constexpr const char *kBackendPluginEntryPoint =
    "egGetBackendPluginInfo";

} // namespace einsum

/// The entry point every plugin defines. Declared here so that a definition
/// with the wrong signature does not compile, and visible even when the
/// plugin hides its other symbols.
extern "C" __attribute__((visibility("default")))
const einsum::BackendPluginInfo *
egGetBackendPluginInfo();

#endif // EINSUM_BACKENDS_BACKENDPLUGIN_H
