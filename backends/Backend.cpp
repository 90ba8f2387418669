//===- Backend.cpp - Executable checks and the backend registry -----------===//
//
// Tensors are named in messages by their graph name, or `%N` (N the tensor
// index) when anonymous, the way the printer numbers them.
//
//===----------------------------------------------------------------------===//
#include "backends/Backend.h"

#include "ir/ByteSize.h"
#include "ir/Diagnostic.h"
#include "ir/Suggest.h"

#include "llvm/ADT/StringExtras.h"

#include <fmt/format.h>

#include <mutex>
#include <set>

#include <unistd.h>

namespace einsum {

static std::string tensorName(const Graph &g, TensorId id) {
  const std::string &name = g.tensor(id).name;
  return name.empty() ? "%" + std::to_string(id.index()) : name;
}

Executable::Executable(const Graph &g) {
  for (TensorId id : g.arguments()) {
    argTypes.push_back(g.type(id));
    argNames.push_back(tensorName(g, id));
  }
  for (TensorId id : g.outputs()) {
    resTypes.push_back(g.type(id));
    resNames.push_back(tensorName(g, id));
  }
  symbolic = llvm::any_of(argTypes,
                          [](const TensorType &t) { return !t.isStatic(); });
  if (symbolic)
    requirements = SizeRequirements(g);
}

llvm::Expected<SizeBindings>
Executable::bindInputs(llvm::ArrayRef<TensorType> inputTypes) const {
  if (inputTypes.size() != argTypes.size())
    return makeError(fmt::format("expected {} input{}, got {}", argTypes.size(),
                                 argTypes.size() == 1 ? "" : "s",
                                 inputTypes.size()));
  llvm::Expected<SizeBindings> sizes =
      bindSizes(argTypes, argNames, inputTypes, "input");
  if (!sizes)
    return sizes.takeError();
  if (llvm::Error err = requirements.check(*sizes))
    return std::move(err);
  return sizes;
}

llvm::Expected<std::vector<TensorType>>
Executable::resultTypesFor(llvm::ArrayRef<TensorType> inputTypes) const {
  llvm::Expected<SizeBindings> sizes = bindInputs(inputTypes);
  if (!sizes)
    return sizes.takeError();
  std::vector<TensorType> types;
  for (const TensorType &t : resTypes) {
    llvm::Expected<TensorType> s = specializeType(t, *sizes);
    if (!s)
      return s.takeError();
    types.push_back(std::move(*s));
  }
  return types;
}

uint64_t physicalMemoryBytes() {
  long pages = sysconf(_SC_PHYS_PAGES), pageSize = sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || pageSize <= 0)
    return 0;
  return uint64_t(pages) * uint64_t(pageSize);
}

uint64_t memoryLimit(const CompileOptions &options) {
  if (options.maxMemoryBytes)
    return options.maxMemoryBytes;
  uint64_t physical = physicalMemoryBytes();
  return physical ? physical / 2 : UINT64_MAX;
}

llvm::Error memoryLimitError(uint64_t peakBytes, llvm::StringRef largestHolder,
                             uint64_t largestBytes,
                             const CompileOptions &options) {
  std::string limit = formatBytes(memoryLimit(options));
  if (!options.maxMemoryBytes)
    limit += ", half the physical memory";
  return makeError(fmt::format("running this graph needs {} at its peak ({} "
                               "holds {}); the limit is {} (--max-memory)",
                               formatBytes(peakBytes), largestHolder.str(),
                               formatBytes(largestBytes), limit));
}

static std::string plural(size_t n, llvm::StringRef word) {
  return fmt::format("{} {}{}", n, word.str(), n == 1 ? "" : "s");
}

/// Checks one side of a call: counts, null pointers and, when `types` is
/// given, types (else `count` tensors are expected).
template <typename Ptr>
static llvm::Error checkTensors(llvm::StringRef what, llvm::ArrayRef<Ptr> given,
                                llvm::ArrayRef<TensorType> types,
                                llvm::ArrayRef<std::string> names,
                                size_t count = 0) {
  size_t expected = types.empty() ? count : types.size();
  if (given.size() != expected)
    return makeError(fmt::format("expected {}, got {}", plural(expected, what),
                                 given.size()));
  for (size_t i = 0; i < given.size(); ++i) {
    if (!given[i])
      return makeError(
          fmt::format("{} {} ('{}') is null", what.str(), i, names[i]));
    if (!types.empty() && given[i]->type() != types[i])
      return makeError(fmt::format("{} {} ('{}') has type {}, expected {}",
                                   what.str(), i, names[i],
                                   given[i]->type().str(), types[i].str()));
  }
  return llvm::Error::success();
}

llvm::Error Executable::run(llvm::ArrayRef<const TensorData *> inputs,
                            llvm::ArrayRef<TensorData *> outputs) {
  if (!symbolic) {
    if (llvm::Error err = checkTensors("input", inputs, argTypes, argNames))
      return err;
    if (llvm::Error err = checkTensors("output", outputs, resTypes, resNames))
      return err;
    return runImpl(inputs, outputs, {});
  }
  if (llvm::Error err = checkTensors("input", inputs, {}, argNames, argTypes.size()))
    return err;
  std::vector<TensorType> inputTypes;
  for (const TensorData *t : inputs)
    inputTypes.push_back(t->type());
  llvm::Expected<SizeBindings> sizes = bindInputs(inputTypes);
  if (!sizes)
    return sizes.takeError();
  std::vector<TensorType> outputTypes;
  for (const TensorType &t : resTypes) {
    llvm::Expected<TensorType> s = specializeType(t, *sizes);
    if (!s)
      return s.takeError();
    outputTypes.push_back(std::move(*s));
  }
  if (llvm::Error err =
          checkTensors("output", outputs, outputTypes, resNames))
    return err;
  return runImpl(inputs, outputs, *sizes);
}

static std::string quotedList(llvm::ArrayRef<std::string> names) {
  std::string s;
  for (size_t i = 0; i < names.size(); ++i)
    s += (i ? ", '" : "'") + names[i] + "'";
  return s;
}

llvm::Expected<std::vector<TensorData>>
Executable::runNamed(const std::map<std::string, TensorData> &inputs) {
  // Every problem is found before anything runs, so a bad call has no
  // effect at all.
  std::set<std::string> known(argNames.begin(), argNames.end());
  for (const auto &[name, data] : inputs)
    if (!known.count(name))
      return makeError(fmt::format("unknown input '{}'; the inputs are {}",
                                   name, quotedList(argNames)));
  std::vector<std::string> missing;
  std::vector<const TensorData *> bound;
  for (size_t i = 0; i < argNames.size(); ++i) {
    auto it = inputs.find(argNames[i]);
    if (it == inputs.end()) {
      missing.push_back(argNames[i]);
      continue;
    }
    if (!symbolic && it->second.type() != argTypes[i])
      return makeError(fmt::format("input '{}' has type {}, expected {}",
                                   argNames[i], it->second.type().str(),
                                   argTypes[i].str()));
    bound.push_back(&it->second);
  }
  if (!missing.empty())
    return makeError(fmt::format("missing input{} {}",
                                 missing.size() == 1 ? "" : "s",
                                 quotedList(missing)));

  std::vector<TensorType> outputTypes = resTypes;
  if (symbolic) {
    std::vector<TensorType> inputTypes;
    for (const TensorData *t : bound)
      inputTypes.push_back(t->type());
    llvm::Expected<std::vector<TensorType>> types = resultTypesFor(inputTypes);
    if (!types)
      return types.takeError();
    outputTypes = std::move(*types);
  }
  std::vector<TensorData> results;
  results.reserve(outputTypes.size());
  for (const TensorType &t : outputTypes)
    results.emplace_back(t);
  std::vector<TensorData *> resultPtrs;
  for (TensorData &r : results)
    resultPtrs.push_back(&r);
  if (llvm::Error err = run(bound, resultPtrs))
    return err;
  return results;
}

//===----------------------------------------------------------------------===//
// Ahead-of-time emission
//===----------------------------------------------------------------------===//

static llvm::StringRef describe(EmitArtifact artifact) {
  switch (artifact) {
  case EmitArtifact::Mlir:
    return "MLIR";
  case EmitArtifact::LLVMIR:
    return "LLVM IR";
  case EmitArtifact::Assembly:
    return "assembly";
  case EmitArtifact::Object:
    return "an object file";
  case EmitArtifact::CHeader:
    return "a C header";
  }
  llvm_unreachable("every artifact is handled above");
}

/// The answer of a backend that only runs graphs.
static llvm::Error cannotEmit(const Backend &backend, EmitArtifact artifact) {
  return makeError(fmt::format("the {} backend cannot emit {}: it only runs "
                               "graphs",
                               backend.name().str(), describe(artifact).str()));
}

llvm::Error Backend::checkEmit(EmitArtifact artifact,
                               const EmitOptions &) const {
  return cannotEmit(*this, artifact);
}

llvm::Expected<EmitResult> Backend::emit(const Graph &, EmitArtifact artifact,
                                         const EmitOptions &) {
  return cannotEmit(*this, artifact);
}

//===----------------------------------------------------------------------===//
// Registry
//===----------------------------------------------------------------------===//

namespace {
struct Registry {
  std::mutex lock;
  std::map<std::string, BackendFactory> factories;
};
} // namespace

/// Function-local so that registration from static initializers in other
/// translation units cannot run before the map exists.
static Registry &registry() {
  static Registry r;
  return r;
}

bool registerBackend(llvm::StringRef name, BackendFactory factory) {
  Registry &r = registry();
  std::lock_guard<std::mutex> guard(r.lock);
  return r.factories.emplace(name.str(), std::move(factory)).second;
}

bool unregisterBackend(llvm::StringRef name) {
  Registry &r = registry();
  std::lock_guard<std::mutex> guard(r.lock);
  return r.factories.erase(name.str()) != 0;
}

std::vector<std::string> registeredBackends() {
  Registry &r = registry();
  std::lock_guard<std::mutex> guard(r.lock);
  std::vector<std::string> names;
  // std::map iterates in sorted order.
  for (const auto &entry : r.factories)
    names.push_back(entry.first);
  return names;
}

llvm::Expected<std::unique_ptr<Backend>> createBackend(llvm::StringRef name) {
  BackendFactory factory;
  {
    Registry &r = registry();
    std::lock_guard<std::mutex> guard(r.lock);
    auto it = r.factories.find(name.str());
    if (it != r.factories.end())
      factory = it->second;
  }
  if (factory) {
    std::unique_ptr<Backend> backend = factory();
    if (!backend)
      return makeError(
          fmt::format("backend '{}' could not be created", name.str()));
    return backend;
  }

  std::vector<std::string> names = registeredBackends();
  if (names.empty())
    return makeError(fmt::format("unknown backend '{}'; no backends are "
                                 "registered",
                                 name.str()));
  std::optional<std::string> suggestion = closestMatch(name, names);
  std::string hint =
      suggestion ? fmt::format(" (did you mean '{}'?)", *suggestion) : "";
  return makeError(fmt::format("unknown backend '{}'{}; registered backends: "
                               "{}",
                               name.str(), hint, llvm::join(names, ", ")));
}

} // namespace einsum
