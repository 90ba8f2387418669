//===- Attribute.h - Compile-time node attributes ---------------*- C++ -*-===//
#ifndef EINSUM_IR_ATTRIBUTE_H
#define EINSUM_IR_ATTRIBUTE_H

#include "ir/Epilogue.h"

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace einsum {

enum class AttrKind : uint8_t {
  Int,
  Float,
  Bool,
  String,
  Ints,
  Floats,
  Enum,
  /// A parsed epilogue expression; written as a string in the text form.
  Epilogue,
  /// A size (ir/Size.h), held as an int: a number or a symbolic size such
  /// as `?k-?q`.
  Size,
  /// A list of sizes, held as ints.
  Sizes
};

llvm::StringRef attrKindName(AttrKind k);

/// A node attribute value. Enum values are held as their spelling.
class Attribute {
public:
  Attribute() : value(int64_t(0)) {}
  static Attribute ofInt(int64_t v) { return Attribute(v); }
  static Attribute ofFloat(double v) { return Attribute(v); }
  static Attribute ofBool(bool v) { return Attribute(v); }
  static Attribute ofString(std::string v) { return Attribute(std::move(v)); }
  static Attribute ofInts(std::vector<int64_t> v) {
    return Attribute(std::move(v));
  }
  static Attribute ofFloats(std::vector<double> v) {
    return Attribute(std::move(v));
  }
  static Attribute ofEpilogue(Epilogue e) { return Attribute(std::move(e)); }

  bool isInt() const { return std::holds_alternative<int64_t>(value); }
  bool isFloat() const { return std::holds_alternative<double>(value); }
  bool isBool() const { return std::holds_alternative<bool>(value); }
  bool isString() const { return std::holds_alternative<std::string>(value); }
  bool isInts() const {
    return std::holds_alternative<std::vector<int64_t>>(value);
  }
  bool isFloats() const {
    return std::holds_alternative<std::vector<double>>(value);
  }
  bool isEpilogue() const { return std::holds_alternative<Epilogue>(value); }
  /// The kind of value held: int, float, bool, string, ints, floats or
  /// epilogue.
  llvm::StringRef kindName() const;

  int64_t getInt() const { return std::get<int64_t>(value); }
  double getFloat() const { return std::get<double>(value); }
  bool getBool() const { return std::get<bool>(value); }
  const std::string &getString() const { return std::get<std::string>(value); }
  const std::vector<int64_t> &getInts() const {
    return std::get<std::vector<int64_t>>(value);
  }
  const std::vector<double> &getFloats() const {
    return std::get<std::vector<double>>(value);
  }
  const Epilogue &getEpilogue() const { return std::get<Epilogue>(value); }

  bool operator==(const Attribute &o) const { return value == o.value; }
  bool operator!=(const Attribute &o) const { return !(*this == o); }

private:
  template <typename T> explicit Attribute(T v) : value(std::move(v)) {}
  std::variant<int64_t, double, bool, std::string, std::vector<int64_t>,
               std::vector<double>, Epilogue>
      value;
};

/// Prints a double so that parsing the text gives the same double back, and
/// so that it always reads as a float (`8.0`, not `8`).
std::string formatFloat(double v);

} // namespace einsum

#endif // EINSUM_IR_ATTRIBUTE_H
