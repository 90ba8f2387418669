//===- NnSupport.cpp ------------------------------------------------------===//
#include "ir/nn/NnSupport.h"

#include <fmt/format.h>

namespace einsum::nn::detail {

llvm::Error checkConfig(const PositionEncodingConfig &config,
                        EncodingType expected, llvm::StringRef className) {
  if (llvm::Error err = config.validate())
    return err;
  if (config.encodingType != expected) {
    llvm::StringRef name = encodingTypeName(expected);
    const char *article =
        llvm::StringRef("aeiou").contains(name[0]) ? "an" : "a";
    return makeError(fmt::format("{} needs {} {} config, got {}",
                                 className.str(), article, name.str(),
                                 encodingTypeName(config.encodingType).str()));
  }
  return llvm::Error::success();
}

std::string uniqueName(const Graph &g, llvm::StringRef base) {
  std::string name = base.str();
  for (int suffix = 1; g.findTensor(name).isValid(); ++suffix)
    name = fmt::format("{}_{}", base.str(), suffix);
  return name;
}

llvm::Expected<TensorType> typeOf(const Graph &g, TensorId id,
                                  llvm::StringRef context,
                                  llvm::StringRef what) {
  if (!g.isValid(id))
    return makeError(fmt::format("{}: {} is not a tensor of the graph",
                                 context.str(), what.str()));
  if (!g.tensor(id).type)
    return makeError(fmt::format("{}: {} {} has no type", context.str(),
                                 what.str(), g.describeTensor(id)));
  return g.type(id);
}

llvm::Error expectFloatRank(const TensorType &t, unsigned rank,
                            llvm::StringRef context, llvm::StringRef what,
                            llvm::StringRef layout) {
  if (t.rank() != rank)
    return makeError(fmt::format("{}: {} is {}; expected rank {} ({})",
                                 context.str(), what.str(), t.str(), rank,
                                 layout.str()));
  if (!isFloat(t.elementType()))
    return makeError(fmt::format("{}: {} is {}; expected a float type",
                                 context.str(), what.str(), t.str()));
  return llvm::Error::success();
}

llvm::Expected<TensorId> finish(Builder &b, TensorId result,
                                llvm::StringRef context) {
  if (!b.hasError())
    return result;
  std::vector<Diagnostic> diags = takeDiagnostics(b.takeError());
  for (Diagnostic &d : diags)
    d.message = fmt::format("{}: {}", context.str(), d.message);
  return makeError(std::move(diags));
}

llvm::Expected<TensorId> sharedParameter(Graph &g, llvm::StringRef name,
                                         const TensorType &type,
                                         llvm::StringRef context) {
  TensorId existing = g.findTensor(name);
  if (!existing.isValid())
    return g.addParameter(name.str(), type);
  if (!g.isParameter(existing) || !g.tensor(existing).type ||
      g.type(existing) != type)
    return makeError(fmt::format(
        "{}: the graph already has a tensor %{} that is not a parameter of "
        "type {}; choose another table name",
        context.str(), name.str(), type.str()));
  return existing;
}

} // namespace einsum::nn::detail
