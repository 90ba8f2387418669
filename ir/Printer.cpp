//===- Printer.cpp - The textual form of a graph --------------------------===//
#include "ir/Printer.h"

#include "ir/Epilogue.h"
#include "ir/Lexer.h"
#include "ir/PrintUtils.h"

#include "llvm/ADT/StringExtras.h"

#include <bit>
#include <charconv>
#include <cmath>

namespace einsum {

//===--- Shared spellings -------------------------------------------------===//

TensorNamer::TensorNamer(const Graph &g) : g(g), numbers(g.numTensors(), -1) {
  for (TensorId arg : g.arguments())
    number(arg);
  for (NodeId n : g.definitionOrder())
    for (TensorId out : g.node(n).outputs)
      number(out);
}

void TensorNamer::number(TensorId id) {
  if (g.isValid(id) && g.tensor(id).name.empty() && numbers[id.index()] < 0)
    numbers[id.index()] = nextNumber++;
}

std::string TensorNamer::spell(TensorId id) {
  if (!g.isValid(id))
    return "%<invalid>";
  const std::string &name = g.tensor(id).name;
  if (name.empty()) {
    // Tensors used but defined nowhere (an invalid graph) still get a
    // stable number, after all defined ones.
    number(id);
    return "%" + std::to_string(numbers[id.index()]);
  }
  return "%" + (isBareTensorName(name) ? name : quoteString(name));
}

std::string spellGraphName(llvm::StringRef name) {
  return "@" + (isBareIdentifier(name) ? name.str() : quoteString(name));
}

std::string spellType(const Graph &g, TensorId id) {
  if (!g.isValid(id) || !g.tensor(id).type)
    return "<untyped>";
  return g.type(id).str();
}

/// The shortest text that reads back as the same float, always looking
/// like a float, as formatFloat does for doubles.
static std::string formatF32(double v) {
  if (std::isnan(v) || std::isinf(v))
    return formatFloat(v);
  float f = static_cast<float>(v);
  if (std::isinf(f))
    return formatFloat(f);
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), f);
  std::string s(buf, res.ptr);
  if (s.find_first_of(".e") == std::string::npos)
    s += ".0";
  return s;
}

/// How the floats of a node print: the `value` and `data` of an f32
/// constant at float precision, those of an i64 constant as integers.
enum class FloatStyle { F64, F32, I64 };

/// Whole numbers a double holds exactly (what the verifier accepts in i64
/// constant data) print as integers; anything else, as in an unverified
/// node, prints as a float so that nothing is lost.
static std::string formatI64(double v) {
  if (v == std::trunc(v) && std::fabs(v) <= 9007199254740992.0)
    return std::to_string(static_cast<int64_t>(v));
  return formatFloat(v);
}

/// Equality that tells -0.0 from 0.0, so a printed -0.0 is not dropped as
/// the default 0 and lost on the way back. In i64 style both print as 0,
/// so they are equal there.
static bool sameValue(const Attribute &a, const Attribute &b,
                      FloatStyle style) {
  auto bits = [](double d) { return std::bit_cast<uint64_t>(d); };
  if (a.isFloat() && b.isFloat())
    return style == FloatStyle::I64 ? a.getFloat() == b.getFloat()
                                    : bits(a.getFloat()) == bits(b.getFloat());
  if (a.isFloats() && b.isFloats())
    return llvm::equal(llvm::map_range(a.getFloats(), bits),
                       llvm::map_range(b.getFloats(), bits));
  return a == b;
}

/// Dispatches on the value held rather than the declared kind, so even an
/// unverified node whose attribute has the wrong kind prints (and then
/// fails to parse or verify with a message, instead of crashing here).
static std::string formatValue(const AttrSpec &spec, const Attribute &a,
                               FloatStyle style) {
  auto fmtFloat = [&](double v) {
    switch (style) {
    case FloatStyle::F32:
      return formatF32(v);
    case FloatStyle::I64:
      return formatI64(v);
    case FloatStyle::F64:
      break;
    }
    return formatFloat(v);
  };
  if (a.isInt())
    return spec.kind == AttrKind::Size ? sizeStr(a.getInt())
                                       : std::to_string(a.getInt());
  if (a.isFloat())
    return fmtFloat(a.getFloat());
  if (a.isBool())
    return a.getBool() ? "true" : "false";
  if (a.isString())
    return spec.kind == AttrKind::Enum && isBareIdentifier(a.getString())
               ? a.getString()
               : quoteString(a.getString());
  if (a.isEpilogue())
    return quoteString(a.getEpilogue().str());
  if (a.isInts())
    return "[" +
           llvm::join(
               llvm::map_range(a.getInts(),
                               [&](int64_t v) {
                                 return spec.kind == AttrKind::Sizes
                                            ? sizeStr(v)
                                            : std::to_string(v);
                               }),
               ", ") +
           "]";
  return "[" + llvm::join(llvm::map_range(a.getFloats(), fmtFloat), ", ") + "]";
}

std::vector<std::string> formatAttributes(const Graph &g, const Node &n) {
  const OpInfo &info = n.info();
  FloatStyle style = FloatStyle::F64;
  if (n.op == OpKind::Constant && n.outputs.size() == 1 &&
      g.isValid(n.outputs[0]) && g.tensor(n.outputs[0]).type) {
    DType dtype = g.type(n.outputs[0]).elementType();
    if (dtype == DType::F32)
      style = FloatStyle::F32;
    else if (dtype == DType::I64)
      style = FloatStyle::I64;
  }
  std::vector<std::string> out;
  for (size_t i = 0; i < info.attrs.size() && i < n.attrs.size(); ++i) {
    const AttrSpec &spec = info.attrs[i];
    const Attribute &value = n.attrs[i];
    if (spec.defaultValue && sameValue(value, *spec.defaultValue, style))
      continue;
    out.push_back(spec.name + " = " + formatValue(spec, value, style));
  }
  return out;
}

//===--- The printer ------------------------------------------------------===//

void printGraph(const Graph &g, llvm::raw_ostream &os) {
  TensorNamer names(g);
  os << "graph " << spellGraphName(g.name()) << '(';
  llvm::ListSeparator argSep;
  for (TensorId arg : g.arguments()) {
    os << argSep << (g.isParameter(arg) ? "param " : "") << names.spell(arg)
       << ": " << spellType(g, arg);
  }
  os << ") {\n";

  for (NodeId id : g.definitionOrder()) {
    const Node &n = g.node(id);
    os << "  ";
    if (!n.outputs.empty()) {
      llvm::ListSeparator sep;
      for (TensorId out : n.outputs)
        os << sep << names.spell(out);
      os << " = ";
    }
    os << n.info().name;
    llvm::ListSeparator inSep;
    if (!n.inputs.empty())
      os << ' ';
    for (TensorId in : n.inputs)
      os << inSep << names.spell(in);
    std::vector<std::string> attrs = formatAttributes(g, n);
    if (!attrs.empty())
      os << " {" << llvm::join(attrs, ", ") << '}';
    os << " : ";
    llvm::ListSeparator typeSep;
    for (TensorId out : n.outputs)
      os << typeSep << spellType(g, out);
    os << '\n';
  }

  os << "  return";
  llvm::ListSeparator outSep;
  if (!g.outputs().empty())
    os << ' ';
  for (TensorId out : g.outputs())
    os << outSep << names.spell(out);
  os << "\n}\n";
}

std::string printGraph(const Graph &g) {
  std::string s;
  llvm::raw_string_ostream os(s);
  printGraph(g, os);
  return s;
}

} // namespace einsum
