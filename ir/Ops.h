//===- Ops.h - Op kinds and the op table ------------------------*- C++ -*-===//
#ifndef EINSUM_IR_OPS_H
#define EINSUM_IR_OPS_H

#include "ir/Attribute.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>
#include <vector>

namespace einsum {

enum class OpKind : uint16_t {
#define OP(Id, Name, Category, MinIn, MaxIn, Attrs, Summary, Example) Id,
#include "ir/Ops.def"
};

enum class OpCategory : uint8_t {
  Contraction,
  Unary,
  Binary,
  Reduction,
  Shape,
  Conversion,
  Generator
};

/// One declared attribute of an op.
struct AttrSpec {
  std::string name;
  AttrKind kind;
  /// The allowed spellings of an Enum attribute.
  std::vector<std::string> enumValues;
  /// Unset for a required attribute.
  std::optional<Attribute> defaultValue;
};

struct OpInfo {
  OpKind kind;
  llvm::StringRef name;
  OpCategory category;
  int minInputs;
  /// -1: variadic.
  int maxInputs;
  std::vector<AttrSpec> attrs;
  llvm::StringRef summary;
  llvm::StringRef example;

  /// Index of the attribute called `name` in `attrs`, if declared.
  std::optional<unsigned> attrIndex(llvm::StringRef name) const;
};

const OpInfo &opInfo(OpKind kind);
llvm::StringRef opName(OpKind kind);
std::optional<OpKind> lookupOp(llvm::StringRef name);
/// Every op, in declaration order.
llvm::ArrayRef<OpInfo> allOps();

} // namespace einsum

#endif // EINSUM_IR_OPS_H
