//===- PluginLoader.h - Loading backend plugins -----------------*- C++ -*-===//
//
// Opens a shared library written against backends/BackendPlugin.h and
// registers its backends, as `alibi-opt --load-backend=PATH` does. The host
// process must export the project's symbols for the plugin to link against
// (docs/plugins.md). Plugins stay loaded until the process ends: their code
// may still be referenced by the factories they registered.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_BACKENDS_PLUGINLOADER_H
#define EINSUM_BACKENDS_PLUGINLOADER_H

#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace einsum {

struct LoadedBackendPlugin {
  /// The path as given to loadBackendPlugin.
  std::string path;
  /// The plugin's own name and version, from its BackendPluginInfo.
  std::string name;
  std::string version;
  /// The backends it registered, in registration order.
  std::vector<std::string> backends;
};

/// Loads the plugin at `path` and registers its backends. Every failure is
/// an error naming the path: a file that is missing or not a loadable shared
/// object (with the system's reason), no entry point, another ABI version, a
/// backend name already registered, a registration that fails or registers
/// nothing. A failed load leaves no backend of the plugin registered. Loading
/// a library that is already loaded registers nothing and returns what the
/// first load did.
llvm::Expected<LoadedBackendPlugin> loadBackendPlugin(llvm::StringRef path);

} // namespace einsum

#endif // EINSUM_BACKENDS_PLUGINLOADER_H
