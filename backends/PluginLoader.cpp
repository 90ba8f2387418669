//===- PluginLoader.cpp ---------------------------------------------------===//
//
// 1. dlopen the library with RTLD_NOW, so that a symbol the host does not
//    provide is an error now, not a crash on first call.
// 2. Look up the entry point and check the ABI version before reading
//    anything else of what it returns.
// 3. Let the plugin register through a registrar that records what it
//    added; on any failure, unregister all of it.
//
//===----------------------------------------------------------------------===//
#include "backends/PluginLoader.h"

#include "backends/BackendPlugin.h"
#include "ir/Diagnostic.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"

#include <fmt/format.h>

#include <map>
#include <mutex>

#include <dlfcn.h>

namespace einsum {

namespace {

/// Registers for real and remembers the names, so that a failed load can be
/// undone and a taken name reported.
class RecordingRegistrar : public BackendRegistrar {
public:
  bool add(llvm::StringRef name, BackendFactory factory) override {
    if (!registerBackend(name, std::move(factory))) {
      rejected.push_back(name.str());
      return false;
    }
    added.push_back(name.str());
    return true;
  }

  void undo() {
    for (const std::string &name : added)
      unregisterBackend(name);
    added.clear();
  }

  std::vector<std::string> added, rejected;
};

struct LoadedPlugins {
  std::mutex lock;
  /// By dlopen handle: the same library under another path is the same
  /// plugin.
  std::map<void *, LoadedBackendPlugin> byHandle;
};

} // namespace

static LoadedPlugins &loadedPlugins() {
  static LoadedPlugins loaded;
  return loaded;
}

static llvm::Error loadError(llvm::StringRef path, std::string reason) {
  return makeError(
      fmt::format("cannot load backend plugin '{}': {}", path.str(), reason));
}

llvm::Expected<LoadedBackendPlugin> loadBackendPlugin(llvm::StringRef path) {
  // dlopen searches the library path for a name without a slash; a plugin
  // path means a file, so make it absolute.
  llvm::SmallString<256> absolute(path);
  if (std::error_code ec = llvm::sys::fs::make_absolute(absolute))
    return loadError(path, ec.message());

  LoadedPlugins &loaded = loadedPlugins();
  std::lock_guard<std::mutex> guard(loaded.lock);
  void *handle = dlopen(absolute.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle)
    return loadError(path, dlerror());
  auto it = loaded.byHandle.find(handle);
  if (it != loaded.byHandle.end()) {
    // dlopen counted a reference; the library stays loaded either way.
    dlclose(handle);
    return it->second;
  }

  // Past this point the library's code may have run (its static
  // initializers did already), so it is never closed: something it set up
  // could still point into it.
  void *entry = dlsym(handle, kBackendPluginEntryPoint);
  if (!entry)
    return loadError(path, fmt::format("it does not export '{}' (see "
                                       "backends/BackendPlugin.h)",
                                       kBackendPluginEntryPoint));
  const BackendPluginInfo *info =
      reinterpret_cast<const BackendPluginInfo *(*)()>(entry)();
  if (!info)
    return loadError(
        path, fmt::format("its '{}' returned null", kBackendPluginEntryPoint));
  if (info->abiVersion != kBackendPluginAbiVersion)
    return loadError(path,
                     fmt::format("it was built for backend plugin ABI "
                                 "version {}, but this build uses "
                                 "version {}; rebuild the plugin",
                                 info->abiVersion, kBackendPluginAbiVersion));
  if (!info->registerBackends)
    return loadError(path, "its registration function is null");

  RecordingRegistrar registrar;
  bool succeeded = info->registerBackends(registrar);
  if (!registrar.rejected.empty()) {
    registrar.undo();
    return loadError(path, fmt::format("backend '{}' is already registered",
                                       registrar.rejected.front()));
  }
  if (!succeeded) {
    registrar.undo();
    return loadError(path, "its registration function failed");
  }
  if (registrar.added.empty())
    return loadError(path, "it registered no backends");

  LoadedBackendPlugin plugin;
  plugin.path = path.str();
  plugin.name = info->name ? info->name : "";
  plugin.version = info->version ? info->version : "";
  plugin.backends = std::move(registrar.added);
  loaded.byHandle.emplace(handle, plugin);
  return plugin;
}

} // namespace einsum
