//===- CHeader.cpp - The C header of an ahead-of-time entry ---------------===//
//
// 1. Describe each argument of the entry from its type alone: a memref
//    (element type, shape, identity layout) or a scalar. Anything else, or
//    a result, is an internal error: the header would lie. A dimension
//    known only at run time is dynamic in the memref and a size of the
//    graph's (ir/Size.h): the wrapper takes each symbol as an int64_t and
//    computes the descriptors' sizes and strides from them.
// 2. Give each argument its role from the signature (graph argument, graph
//    output, gather status, or unknown to the graph) and a parameter name:
//    the tensor's name where that is a usable identifier, else argN.
// 3. Print: opening comment, include guard, one descriptor struct per
//    element type and rank (each guarded, so that the headers of several
//    kernels can be included together), the prototype, the wrapper.
//
// MLIR's C interface passes each memref as a pointer to its descriptor
// (allocated pointer, aligned pointer, offset, sizes[rank], strides[rank],
// all 64-bit on the host) and each scalar by value.
//
//===----------------------------------------------------------------------===//
#include "backends/cpu/CHeader.h"

#include "ir/Diagnostic.h"
#include "ir/SizeBindings.h"

#include "llvm/ADT/StringExtras.h"

#include <fmt/format.h>

#include <map>
#include <set>

namespace einsum::cpu {

namespace {

/// C11/C23 and C++20 keywords, and the alternative tokens: a parameter of a
/// header meant for both languages cannot be any of them.
constexpr const char *kKeywords[] = {"_Alignas",
                                     "_Alignof",
                                     "_Atomic",
                                     "_BitInt",
                                     "_Bool",
                                     "_Complex",
                                     "_Decimal128",
                                     "_Decimal32",
                                     "_Decimal64",
                                     "_Generic",
                                     "_Imaginary",
                                     "_Noreturn",
                                     "_Static_assert",
                                     "_Thread_local",
                                     "alignas",
                                     "alignof",
                                     "and",
                                     "and_eq",
                                     "asm",
                                     "auto",
                                     "bitand",
                                     "bitor",
                                     "bool",
                                     "break",
                                     "case",
                                     "catch",
                                     "char",
                                     "char16_t",
                                     "char32_t",
                                     "char8_t",
                                     "class",
                                     "co_await",
                                     "co_return",
                                     "co_yield",
                                     "compl",
                                     "concept",
                                     "const",
                                     "const_cast",
                                     "consteval",
                                     "constexpr",
                                     "constinit",
                                     "continue",
                                     "decltype",
                                     "default",
                                     "delete",
                                     "do",
                                     "double",
                                     "dynamic_cast",
                                     "else",
                                     "enum",
                                     "explicit",
                                     "export",
                                     "extern",
                                     "false",
                                     "float",
                                     "for",
                                     "friend",
                                     "goto",
                                     "if",
                                     "inline",
                                     "int",
                                     "long",
                                     "mutable",
                                     "namespace",
                                     "new",
                                     "noexcept",
                                     "not",
                                     "not_eq",
                                     "nullptr",
                                     "operator",
                                     "or",
                                     "or_eq",
                                     "private",
                                     "protected",
                                     "public",
                                     "register",
                                     "reinterpret_cast",
                                     "requires",
                                     "restrict",
                                     "return",
                                     "short",
                                     "signed",
                                     "sizeof",
                                     "static",
                                     "static_assert",
                                     "static_cast",
                                     "struct",
                                     "switch",
                                     "template",
                                     "this",
                                     "thread_local",
                                     "throw",
                                     "true",
                                     "try",
                                     "typedef",
                                     "typeid",
                                     "typename",
                                     "typeof",
                                     "typeof_unqual",
                                     "union",
                                     "unsigned",
                                     "using",
                                     "virtual",
                                     "void",
                                     "volatile",
                                     "wchar_t",
                                     "while",
                                     "xor",
                                     "xor_eq"};

/// A scalar or memref element type in C, and its short spelling for type
/// names (f32, i64, ...).
struct CElement {
  std::string c, spelling;
};

std::optional<CElement> cElement(mlir::Type t) {
  if (t.isF32())
    return CElement{"float", "f32"};
  if (t.isF64())
    return CElement{"double", "f64"};
  // 16-bit floats are passed as their bit patterns: _Float16 is not in
  // every C compiler a caller may use, and C has no bfloat16 type at all.
  if (t.isF16())
    return CElement{"uint16_t", "f16"};
  if (t.isBF16())
    return CElement{"uint16_t", "bf16"};
  // index is 64 bits wide on every host the backend targets.
  if (t.isIndex())
    return CElement{"int64_t", "index"};
  if (auto i = mlir::dyn_cast<mlir::IntegerType>(t)) {
    unsigned w = i.getWidth();
    if (i.isSignless() && (w == 8 || w == 16 || w == 32 || w == 64))
      return CElement{fmt::format("int{}_t", w), fmt::format("i{}", w)};
  }
  return std::nullopt;
}

std::string typeStr(mlir::Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  t.print(os);
  return s;
}

enum class Role { Input, Parameter, Output, GatherStatus, Unknown };

struct CArgument {
  Role role;
  /// The tensor, for graph arguments and outputs.
  TensorId tensor;
  CElement element;
  /// Set for memrefs: the shape as sizes (symbolic where the graph's are),
  /// and the descriptor type's name.
  std::optional<llvm::SmallVector<int64_t>> shape;
  std::string structName;
  /// The parameter's name; the wrapper has none for the gather status, it
  /// owns that buffer.
  std::string param;
};

std::string shapeText(llvm::ArrayRef<int64_t> shape) { return shapeStr(shape); }

/// A size as a C expression over the wrapper's size parameters (`params`
/// maps a symbol to its parameter's name): `64`, `s`, `(p + 1)`,
/// `(2 * s)`.
std::string cSize(int64_t size,
                  const std::map<std::string, std::string> &params) {
  if (!isSymbolicSize(size))
    return std::to_string(size);
  SizeExpr e = sizeExpr(size);
  std::string s;
  for (const SizeTerm &t : e.terms) {
    int64_t m = t.coefficient < 0 ? -t.coefficient : t.coefficient;
    std::string term = params.at(t.symbol);
    if (m != 1)
      term = std::to_string(m) + " * " + term;
    s += s.empty() ? (t.coefficient < 0 ? "-" : "") + term
                   : (t.coefficient < 0 ? " - " : " + ") + term;
  }
  if (e.constant)
    s += (e.constant < 0 ? " - " : " + ") +
         std::to_string(e.constant < 0 ? -e.constant : e.constant);
  return e.terms.size() == 1 && !e.constant && e.terms[0].coefficient == 1
             ? s
             : "(" + s + ")";
}

/// The row-major descriptor's sizes and strides, as C expressions.
std::string descriptorSizes(llvm::ArrayRef<int64_t> shape,
                            const std::map<std::string, std::string> &params) {
  std::vector<std::string> sizes, strides(shape.size());
  for (int64_t d : shape)
    sizes.push_back(cSize(d, params));
  for (size_t i = 0; i < shape.size(); ++i) {
    std::vector<std::string> inner;
    int64_t constant = 1;
    for (size_t j = i + 1; j < shape.size(); ++j) {
      if (isSymbolicSize(shape[j]))
        inner.push_back(sizes[j]);
      else
        constant *= shape[j];
    }
    if (constant != 1 || inner.empty())
      inner.insert(inner.begin(), std::to_string(constant));
    strides[i] = llvm::join(inner, " * ");
  }
  return "{" + llvm::join(sizes, ", ") + "}, {" + llvm::join(strides, ", ") +
         "}";
}

llvm::StringRef roleText(Role r) {
  switch (r) {
  case Role::Input:
    return "input";
  case Role::Parameter:
    return "parameter";
  case Role::Output:
    return "output";
  case Role::GatherStatus:
    return "gather status";
  case Role::Unknown:
    return "not a graph tensor";
  }
  llvm_unreachable("every role is handled above");
}

/// Graph and tensor names are free text: keep them from ending the comment
/// they appear in, and from sending escape sequences to whoever reads the
/// header in a terminal.
std::string commentSafe(llvm::StringRef raw) {
  std::string text = terminalText(raw);
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    out += c == '\n' || c == '\r' ? ' ' : c;
    if (c == '*' && i + 1 < text.size() && text[i + 1] == '/')
      out += ' ';
  }
  return out;
}

llvm::Error internal(const std::string &what) {
  return makeError("cpu backend: internal error: C header: " + what);
}

/// Steps 1 and 2.
llvm::Expected<std::vector<CArgument>>
describeArguments(mlir::func::FuncOp entry, const Graph &g,
                  const EntrySignature &signature) {
  mlir::FunctionType type = entry.getFunctionType();
  if (type.getNumResults())
    return internal(fmt::format("the entry returns {} results; only "
                                "arguments are described",
                                type.getNumResults()));
  unsigned numGraph = signature.numArguments + signature.numOutputs;
  unsigned numKnown = numGraph + (signature.gathers.empty() ? 0 : 1);
  if (type.getNumInputs() < numKnown)
    return internal(fmt::format("the entry takes {} arguments; the graph "
                                "needs at least {}",
                                type.getNumInputs(), numKnown));
  std::vector<CArgument> args;
  std::set<std::string> taken = {"gather_status"};
  for (auto [k, t] : llvm::enumerate(type.getInputs())) {
    CArgument a;
    a.role = Role::Unknown;
    if (k < signature.numArguments) {
      a.tensor = g.arguments()[k];
      a.role = g.isParameter(a.tensor) ? Role::Parameter : Role::Input;
    } else if (k < numGraph) {
      a.tensor = g.outputs()[k - signature.numArguments];
      a.role = Role::Output;
    } else if (k < numKnown) {
      a.role = Role::GatherStatus;
    }

    auto memref = mlir::dyn_cast<mlir::MemRefType>(t);
    std::optional<CElement> element =
        cElement(memref ? memref.getElementType() : t);
    if (!element)
      return internal(fmt::format("argument {} has type {}, which has no C "
                                  "counterpart here",
                                  k, typeStr(t)));
    a.element = *element;
    if (memref) {
      bool graphTensor = a.role == Role::Input || a.role == Role::Parameter ||
                         a.role == Role::Output;
      if ((!memref.hasStaticShape() && !graphTensor) ||
          !memref.getLayout().isIdentity())
        return internal(fmt::format("argument {} has type {}; only row-major "
                                    "memrefs of static shapes or of the "
                                    "graph's sizes are described",
                                    k, typeStr(t)));
      a.shape.emplace(memref.getShape());
      // The graph's sizes, symbolic where the memref is dynamic.
      if (graphTensor && g.type(a.tensor).rank() == memref.getRank()) {
        const TensorType &tt = g.type(a.tensor);
        for (unsigned d = 0; d < tt.rank(); ++d)
          if (memref.isDynamicDim(d) == isSymbolicSize(tt.dim(d)))
            (*a.shape)[d] = tt.dim(d);
      }
      a.structName =
          fmt::format("eg_memref_{}_{}d", element->spelling, memref.getRank());
    } else if (a.role != Role::Unknown) {
      return internal(fmt::format("argument {} has type {}; the graph "
                                  "passes a buffer there",
                                  k, typeStr(t)));
    }
    // The lowering and the graph must agree, or the comment would lie.
    if (a.role == Role::Input || a.role == Role::Parameter ||
        a.role == Role::Output) {
      const TensorType &tt = g.type(a.tensor);
      if (!a.shape || llvm::ArrayRef<int64_t>(*a.shape) != tt.shape() ||
          a.element.spelling != dtypeName(tt.elementType()))
        return internal(fmt::format("argument {} has type {}; tensor {} is {}",
                                    k, typeStr(t), g.describeTensor(a.tensor),
                                    tt.str()));
    }
    if (a.role == Role::GatherStatus &&
        llvm::ArrayRef<int64_t>(*a.shape) !=
            llvm::ArrayRef<int64_t>{int64_t(signature.gathers.size()), 2})
      return internal(fmt::format("argument {} has type {}; the gather status "
                                  "is i64[{},2]",
                                  k, typeStr(t), signature.gathers.size()));

    if (a.role == Role::GatherStatus) {
      a.param = "gather_status";
    } else {
      // Names starting with eg_ are the wrapper's own locals.
      std::string name = a.tensor ? g.tensor(a.tensor).name : "";
      if (name.empty() || !cIdentifierProblem(name).empty() ||
          llvm::StringRef(name).starts_with("eg_"))
        name = fmt::format("arg{}", k);
      while (taken.count(name))
        name += fmt::format("_{}", k);
      taken.insert(name);
      a.param = name;
    }
    args.push_back(std::move(a));
  }
  return args;
}

} // namespace

std::string cIdentifierProblem(llvm::StringRef name) {
  if (name.empty())
    return "it is empty";
  if (llvm::isDigit(name.front()))
    return fmt::format("it starts with '{}'", name.front());
  for (char c : name)
    if (!llvm::isAlnum(c) && c != '_')
      return fmt::format("it contains '{}'", c);
  // Identifiers with a leading underscore are reserved at file scope.
  if (name.front() == '_')
    return "names starting with '_' are reserved in C";
  for (const char *k : kKeywords)
    if (name == k)
      return "it is a C or C++ keyword";
  return "";
}

llvm::Expected<std::string> emitCHeader(mlir::func::FuncOp entry,
                                        const Graph &g,
                                        const EntrySignature &signature,
                                        llvm::StringRef target) {
  llvm::Expected<std::vector<CArgument>> argsOr =
      describeArguments(entry, g, signature);
  if (!argsOr)
    return argsOr.takeError();
  const std::vector<CArgument> &args = *argsOr;
  std::string name = entry.getSymName().str();
  std::string guard = "EG_AOT_" + llvm::StringRef(name).upper() + "_H";
  size_t numGathers = signature.gathers.size();

  // The graph's symbols, as the wrapper's size parameters: the symbol's own
  // name where it is a usable identifier not taken by a buffer.
  std::map<std::string, std::string> sizeParams;
  std::set<std::string> taken;
  for (const CArgument &a : args)
    taken.insert(a.param);
  for (const std::string &symbol : graphSymbols(g)) {
    std::string param = symbol;
    if (!cIdentifierProblem(param).empty() || taken.count(param) ||
        llvm::StringRef(param).starts_with("eg_"))
      param = "size_" + symbol;
    while (taken.count(param))
      param += "_";
    taken.insert(param);
    sizeParams[symbol] = param;
  }

  std::string out;
  auto line = [&](const std::string &text) { out += text + "\n"; };

  // 3. The opening comment.
  line(fmt::format("/* {}.h: the C interface of kernel {}: graph @{}", name,
                   name, commentSafe(g.name())));
  line(" * compiled ahead of time by alibi-opt (cpu backend). Generated: do "
       "not edit.");
  line(" *");
  line(fmt::format(" * Target: {}.", target.str()));
  line(" * The object uses every feature of that CPU: it may not run on an "
       "older one.");
  line(" *");
  line(fmt::format(
      " * Arguments of _mlir_ciface_{} and {}_run, in order:", name, name));
  size_t nameWidth = 0, roleWidth = 0;
  for (const CArgument &a : args) {
    nameWidth = std::max(nameWidth, a.param.size());
    roleWidth = std::max(roleWidth, roleText(a.role).size());
  }
  for (const CArgument &a : args) {
    std::string type =
        a.element.spelling + (a.shape ? shapeText(*a.shape) : " (scalar)");
    std::string note;
    if (a.tensor && g.tensor(a.tensor).name != a.param)
      note = "  " + commentSafe(g.describeTensor(a.tensor));
    if (a.role == Role::GatherStatus)
      note = "  (_mlir_ciface_ only)";
    line(fmt::format(" *   {:<{}}  {:<{}}  {}{}", a.param, nameWidth,
                     roleText(a.role).str(), roleWidth, type, note));
  }
  if (!sizeParams.empty()) {
    line(" *");
    line(" * Sizes known only when it runs (`?s` above), given to the "
         "wrapper:");
    for (const auto &[symbol, param] : sizeParams)
      line(fmt::format(" *   {}  ?{}", param, symbol));
    line(" * The buffers must hold the shapes those sizes make.");
  }
  line(" *");
  line(" * Buffers are dense and row-major; outputs must not overlap other");
  line(" * arguments. The kernel allocates its temporaries with malloc. Link");
  line(" * with -lm and the OpenMP runtime (-lomp), which parallel kernels "
       "call.");
  line(" * Needs C99 or later, or C++.");
  if (numGathers) {
    line(" *");
    line(" * Gathers clamp their indices into range. Row N-1 of gather_status "
         "records");
    line(" * the row-major position and the value of gather N's first "
         "out-of-range");
    line(" * index; it must be -1 before the call (the wrapper sees to it). "
         "The");
    line(" * gathers:");
    for (auto [k, id] : llvm::enumerate(signature.gathers))
      line(fmt::format(" *   {}: {}", k + 1, commentSafe(g.describeNode(id))));
  }
  line(" */");
  line("#ifndef " + guard);
  line("#define " + guard);
  line("");
  line("#include <stdint.h>");
  line("");
  line("#ifdef __cplusplus");
  line("extern \"C\" {");
  line("#endif");

  // One descriptor type per element type and rank, in order of first use.
  std::set<std::string> defined;
  for (const CArgument &a : args) {
    if (!a.shape || !defined.insert(a.structName).second)
      continue;
    std::string macro = llvm::StringRef(a.structName).upper() + "_DEFINED";
    line("");
    line("#ifndef " + macro);
    line("#define " + macro);
    line(fmt::format("/* A rank-{} {} memref descriptor of MLIR's C "
                     "interface. */",
                     a.shape->size(), a.element.spelling));
    line(fmt::format("typedef struct {} {{", a.structName));
    line(fmt::format("  {} *allocated;", a.element.c));
    line(fmt::format("  {} *aligned;", a.element.c));
    line("  int64_t offset;");
    if (!a.shape->empty()) {
      line(fmt::format("  int64_t sizes[{}];", a.shape->size()));
      line(fmt::format("  int64_t strides[{}];", a.shape->size()));
    }
    line(fmt::format("}} {};", a.structName));
    line("#endif");
  }

  // The prototype.
  line("");
  line("/* The entry point the object defines. */");
  line(fmt::format("void _mlir_ciface_{}({}", name,
                   args.empty() ? "void);" : ""));
  for (auto [k, a] : llvm::enumerate(args)) {
    std::string decl = a.shape ? fmt::format("{} *{}", a.structName, a.param)
                               : fmt::format("{} {}", a.element.c, a.param);
    line("    " + decl + (k + 1 == args.size() ? ");" : ","));
  }

  // The wrapper.
  line("");
  line(fmt::format("/* Calls {} on dense row-major buffers with the shapes "
                   "above.",
                   name));
  std::string returns = "Returns 0";
  if (!sizeParams.empty())
    returns += ", -1 if a size, or a dimension computed from them, is below 1 "
               "(nothing\n * is run then)";
  if (numGathers)
    returns += ", or N > 0 if gather N met an out-of-range index (its "
               "output is\n * then unspecified)";
  line(" * " + returns + ". */");
  std::vector<std::string> params;
  for (const CArgument &a : args) {
    if (a.role == Role::GatherStatus)
      continue;
    bool readOnly = a.role == Role::Input || a.role == Role::Parameter;
    params.push_back(a.shape ? fmt::format("{}{} *{}", readOnly ? "const " : "",
                                           a.element.c, a.param)
                             : fmt::format("{} {}", a.element.c, a.param));
  }
  for (const auto &[symbol, param] : sizeParams)
    params.push_back("int64_t " + param);
  if (params.empty())
    line(fmt::format("static inline int {}_run(void) {{", name));
  else
    line(fmt::format("static inline int {}_run(", name));
  for (size_t k = 0; k < params.size(); ++k)
    line("    " + params[k] + (k + 1 == params.size() ? ") {" : ","));
  // Every size, and every dimension computed from them, at least 1.
  std::set<std::string> checked;
  for (const CArgument &a : args)
    for (int64_t d : a.shape ? *a.shape : llvm::SmallVector<int64_t>{})
      if (isSymbolicSize(d) && checked.insert(cSize(d, sizeParams)).second)
        line(
            fmt::format("  if ({} < 1)\n    return -1;", cSize(d, sizeParams)));
  for (const auto &[symbol, param] : sizeParams)
    if (checked.insert(param).second)
      line(fmt::format("  if ({} < 1)\n    return -1;", param));
  if (numGathers) {
    // -1 marks "no out-of-range index seen"; the kernel records the first.
    line(fmt::format("  int64_t eg_status[{}][2];", numGathers));
    line("  int eg_i;");
    line(fmt::format("  for (eg_i = 0; eg_i < {}; ++eg_i)", numGathers));
    line("    eg_status[eg_i][0] = eg_status[eg_i][1] = -1;");
  }
  std::vector<std::string> callArgs;
  for (auto [k, a] : llvm::enumerate(args)) {
    if (!a.shape) {
      callArgs.push_back(a.param);
      continue;
    }
    std::string ptr = a.role == Role::GatherStatus
                          ? "&eg_status[0][0]"
                          : fmt::format("({} *){}", a.element.c, a.param);
    std::string init = fmt::format("{}, {}, 0", ptr, ptr);
    if (!a.shape->empty())
      init += ", " + descriptorSizes(*a.shape, sizeParams);
    line(fmt::format("  {} eg_d{} = {{{}}};", a.structName, k, init));
    callArgs.push_back(fmt::format("&eg_d{}", k));
  }
  line(fmt::format("  _mlir_ciface_{}({});", name, llvm::join(callArgs, ", ")));
  if (numGathers) {
    line(fmt::format("  for (eg_i = 0; eg_i < {}; ++eg_i)", numGathers));
    line("    if (eg_status[eg_i][0] >= 0)");
    line("      return eg_i + 1;");
  }
  line("  return 0;");
  line("}");
  line("");
  line("#ifdef __cplusplus");
  line("}");
  line("#endif");
  line("");
  line("#endif /* " + guard + " */");
  return out;
}

} // namespace einsum::cpu
