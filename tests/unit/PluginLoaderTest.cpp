//===- PluginLoaderTest.cpp - Backend plugins through the C++ API ---------===//
//
// The unit tests host plugins as alibi-opt does (eg_plugin_host): they load
// the example plugin and run its backend, and check that a failed load
// leaves nothing of the plugin registered, which the tool cannot show as it
// exits on the error.
//
//===----------------------------------------------------------------------===//
#include "backends/PluginLoader.h"

#include "backends/Backend.h"
#include "backends/reference/ReferenceBackend.h"
#include "ir/Builder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

using namespace einsum;

namespace {

std::string pluginPath(llvm::StringRef file) {
  return std::string(EG_PLUGIN_DIR) + "/" + file.str();
}

bool isRegistered(llvm::StringRef name) {
  std::vector<std::string> names = registeredBackends();
  return std::find(names.begin(), names.end(), name) != names.end();
}

TEST(PluginLoader, ExamplePluginRunsLikeTheReference) {
  registerBuiltinBackends();
  std::string path = pluginPath("profile-backend.so");
  llvm::Expected<LoadedBackendPlugin> plugin = loadBackendPlugin(path);
  ASSERT_TRUE(bool(plugin)) << firstMessage(plugin.takeError());
  EXPECT_EQ(plugin->name, "profile");
  EXPECT_EQ(plugin->path, path);
  EXPECT_NE(std::find(plugin->backends.begin(), plugin->backends.end(),
                      "profile-reference"),
            plugin->backends.end());
  EXPECT_TRUE(isRegistered("profile-reference"));

  // Loading it again is a no-op that says what the first load did.
  std::vector<std::string> before = registeredBackends();
  llvm::Expected<LoadedBackendPlugin> again = loadBackendPlugin(path);
  ASSERT_TRUE(bool(again)) << firstMessage(again.takeError());
  EXPECT_EQ(again->backends, plugin->backends);
  EXPECT_EQ(registeredBackends(), before);

  // softmax(x w) + x, with x read twice by one node.
  Graph g;
  Builder b(g);
  TensorId x = b.input("x", TensorType::f32({3, 4}));
  TensorId w = b.input("w", TensorType::f32({4, 4}));
  TensorId y = b.softmax(b.einsum("ij,jk->ik", {x, w}));
  b.output(b.add(y, b.mul(x, x)), "out");
  ASSERT_FALSE(bool(b.takeError()));
  TensorData xs(g.type(x)), ws(g.type(w));
  for (int64_t i = 0; i < xs.numElements(); ++i)
    xs.set(i, std::sin(double(i)));
  for (int64_t i = 0; i < ws.numElements(); ++i)
    ws.set(i, std::cos(double(i)));

  llvm::Expected<std::unique_ptr<Backend>> backend =
      createBackend("profile-reference");
  ASSERT_TRUE(bool(backend)) << firstMessage(backend.takeError());
  llvm::Expected<std::unique_ptr<Executable>> exe = (*backend)->compile(g, {});
  ASSERT_TRUE(bool(exe)) << firstMessage(exe.takeError());
  llvm::Expected<std::vector<TensorData>> got =
      (*exe)->runNamed({{"x", xs}, {"w", ws}});
  ASSERT_TRUE(bool(got)) << firstMessage(got.takeError());
  llvm::Expected<std::vector<TensorData>> want = interpret(g, {&xs, &ws});
  ASSERT_TRUE(bool(want)) << firstMessage(want.takeError());
  ASSERT_EQ(got->size(), 1u);
  Comparison cmp = compareTensors((*got)[0], (*want)[0], 0, 0);
  EXPECT_TRUE(cmp.allClose) << "max |error| " << cmp.maxAbsError;
}

TEST(PluginLoader, AFailedLoadUnregistersWhatItRegistered) {
  registerBuiltinBackends();
  std::vector<std::string> before = registeredBackends();
  std::string path = pluginPath("broken-plugin-duplicate.so");
  llvm::Expected<LoadedBackendPlugin> plugin = loadBackendPlugin(path);
  ASSERT_FALSE(bool(plugin));
  EXPECT_EQ(firstMessage(plugin.takeError()),
            "cannot load backend plugin '" + path +
                "': backend 'reference' is already registered");
  EXPECT_FALSE(isRegistered("plugin-test-duplicate"));

  path = pluginPath("broken-plugin-fails.so");
  plugin = loadBackendPlugin(path);
  ASSERT_FALSE(bool(plugin));
  EXPECT_EQ(firstMessage(plugin.takeError()),
            "cannot load backend plugin '" + path +
                "': its registration function failed");
  EXPECT_FALSE(isRegistered("plugin-test-fails"));
  EXPECT_EQ(registeredBackends(), before);

  // A failed plugin is not remembered as loaded: it fails the same way again.
  plugin = loadBackendPlugin(path);
  EXPECT_FALSE(bool(plugin));
  llvm::consumeError(plugin.takeError());
}

TEST(PluginLoader, ARelativePathIsAFileNotALibraryName) {
  // dlopen would search the library path for "libm.so.6"; the loader looks
  // in the working directory only.
  llvm::Expected<LoadedBackendPlugin> plugin = loadBackendPlugin("libm.so.6");
  ASSERT_FALSE(bool(plugin));
  std::string message = firstMessage(plugin.takeError());
  EXPECT_EQ(message.rfind("cannot load backend plugin 'libm.so.6': /", 0), 0u)
      << message;
  EXPECT_NE(message.find("No such file or directory"), std::string::npos)
      << message;
}

} // namespace
