//===- Parser.cpp - Reading the textual form ------------------------------===//
//
// A hand-written predictive parser over the grammar
//
//   file     := 'graph' @name '(' [arg (',' arg)*] ')' '{' node* return '}'
//   arg      := ['param'] %name ':' type
//   node     := %name (',' %name)* '=' op [%x (',' %x)*] [attrs] ':' types
//   attrs    := '{' [ident '=' value (',' ident '=' value)*] '}'
//   return   := 'return' [%x (',' %x)*]
//   type     := dtype '[' [size (',' size)*] ']'
//   size     := ['-'] term (('+' | '-') term)*
//   term     := int | int '*' ?sym | ?sym | ?sym '*' int
//
// A size attribute (Ops.def kind size or sizes) is read as a size or a
// list of them, so `query_offset = ?k-?q` and `shape = [1, ?s, 64]` parse.
//
// Nothing nests, so every loop is iterative and each token is looked at a
// bounded number of times: parsing is linear and cannot overflow the stack.
// Names and attributes are checked here; types are the verifier's job.
//
//===----------------------------------------------------------------------===//
#include "ir/Parser.h"

#include "ir/Lexer.h"
#include "ir/Suggest.h"
#include "ir/TypeInference.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"

#include <charconv>
#include <cmath>
#include <fmt/format.h>

namespace einsum {
namespace {

/// Every op declared today has exactly one result; the grammar already
/// allows more, so an op with several results only has to change this.
unsigned numResults(const OpInfo &) { return 1; }

/// An attribute value as written, before it meets the declared kind: a bare
/// word may be an enum value, a bool or inf/nan depending on the attribute.
struct RawValue {
  enum Kind { Int, Float, String, Word, List } kind = Int;
  int64_t intValue = 0;
  double floatValue = 0;
  /// String contents or the word.
  std::string text;
  /// List elements as ints (valid when !listHasFloat) and as doubles.
  std::vector<int64_t> ints;
  std::vector<double> floats;
  bool listHasFloat = false;
};

/// How a value reads in "expects int, got ..." messages.
std::string describe(const RawValue &v) {
  switch (v.kind) {
  case RawValue::Int:
    return "int";
  case RawValue::Float:
    return "float";
  case RawValue::String:
    return "string";
  case RawValue::Word:
    if (v.text == "true" || v.text == "false")
      return "bool";
    if (v.text == "inf" || v.text == "nan")
      return "float";
    return fmt::format("identifier '{}'", v.text);
  case RawValue::List:
    if (v.floats.empty())
      return "empty list";
    return v.listHasFloat ? "floats" : "ints";
  }
  return "value";
}

class Parser {
public:
  Parser(llvm::StringRef text, llvm::StringRef fileName, unsigned firstLine)
      : lex(text, firstLine), file(fileName.str()) {}

  llvm::Expected<Graph> parse();

private:
  /// What the symbol table knows about a defined name.
  struct Definition {
    TensorId id;
    unsigned line;
  };

  void consume() { tok = lex.next(); }
  SourceLoc loc(const Token &t) const {
    return SourceLoc{file, t.line, t.col, lex.lineText(t.lineStart).str()};
  }
  llvm::Error errorAt(const Token &t, std::string message) const {
    return makeError(std::move(message), loc(t));
  }
  /// "expected WHAT, found 'TOKEN'" at the current token, or the lexer's
  /// own message when the current token is a lexical error.
  llvm::Error expected(llvm::StringRef what) const;
  llvm::Error expect(TokenKind kind, llvm::StringRef what) {
    if (!tok.is(kind))
      return expected(what);
    consume();
    return llvm::Error::success();
  }

  llvm::Error parseArgument();
  llvm::Error parseNode();
  llvm::Error parseReturn();
  llvm::Expected<TensorType> parseType(llvm::StringRef what);
  /// A size: a number or an affine expression of size symbols.
  llvm::Expected<int64_t> parseSize(llvm::StringRef what);
  llvm::Expected<std::vector<int64_t>> parseSizeList();
  llvm::Expected<OpKind> parseOpName();
  llvm::Error parseAttributes(OpKind op, const Token &opTok,
                              std::vector<Attribute> &attrs);
  llvm::Expected<RawValue> parseValue();
  llvm::Error parseNumber(RawValue &out);
  llvm::Expected<Attribute> convert(const OpInfo &info, const AttrSpec &spec,
                                    const RawValue &raw, const Token &at);

  /// The node being read, for messages about it as a whole: "'contraction'
  /// producing %s" and where its op is written.
  std::string nodeDescription;
  Token nodeOpTok;

  llvm::Expected<int64_t> parseInt(const Token &t);
  llvm::Expected<double> parseFloat(const Token &t);
  /// Remembers the first number of the node whose magnitude, as written, is
  /// above 2^53: constant data is held as doubles, so an i64 constant
  /// cannot hold it exactly (checked once the result type is known).
  void noteWideNumber(const Token &t, double value);
  std::optional<Token> wideNumber;

  /// The symbol-table slot for the name in `t`: %0 and %"0" differ.
  Definition *lookup(const Token &t);
  llvm::Error checkNotDefined(const Token &t);
  TensorId define(const Token &t, TensorId id);
  llvm::Expected<TensorId> resolve(const Token &t);

  Lexer lex;
  std::string file;
  Token tok;
  Graph g;
  llvm::StringMap<Definition> named;
  llvm::StringMap<Definition> anonymous;
};

llvm::Error Parser::expected(llvm::StringRef what) const {
  if (tok.is(TokenKind::Error))
    return errorAt(tok, tok.value);
  if (tok.is(TokenKind::Eof))
    return errorAt(
        tok, fmt::format("unexpected end of file, expected {}", what.str()));
  llvm::StringRef shown = tok.spelling;
  std::string found =
      shown.size() > 40 ? shown.take_front(40).str() + "..." : shown.str();
  return errorAt(tok,
                 fmt::format("expected {}, found '{}'", what.str(), found));
}

//===--- Names ------------------------------------------------------------===//

static bool isAnonymous(const Token &t) {
  return !t.quoted && llvm::all_of(t.value, llvm::isDigit);
}

Parser::Definition *Parser::lookup(const Token &t) {
  auto &table = isAnonymous(t) ? anonymous : named;
  auto it = table.find(t.value);
  return it == table.end() ? nullptr : &it->second;
}

llvm::Error Parser::checkNotDefined(const Token &t) {
  if (Definition *d = lookup(t))
    return errorAt(t, fmt::format("redefinition of {}, first defined on line "
                                  "{}",
                                  t.spelling.str(), d->line));
  return llvm::Error::success();
}

TensorId Parser::define(const Token &t, TensorId id) {
  auto &table = isAnonymous(t) ? anonymous : named;
  table[t.value] = Definition{id, t.line};
  g.tensor(id).loc = loc(t);
  return id;
}

llvm::Expected<TensorId> Parser::resolve(const Token &t) {
  if (Definition *d = lookup(t))
    return d->id;
  return errorAt(t, "use of undefined tensor " + t.spelling.str());
}

//===--- Literals ---------------------------------------------------------===//

llvm::Expected<int64_t> Parser::parseInt(const Token &t) {
  int64_t v = 0;
  const char *b = t.spelling.begin(), *e = t.spelling.end();
  auto [ptr, ec] = std::from_chars(b, e, v);
  if (ec != std::errc() || ptr != e) {
    llvm::StringRef s = t.spelling;
    std::string shown =
        s.size() > 40 ? fmt::format("{}... ({} digits)", s.take_front(20).str(),
                                    s.size() - s.starts_with("-"))
                      : s.str();
    return errorAt(t, fmt::format("integer {} does not fit in 64 bits", shown));
  }
  return v;
}

llvm::Expected<double> Parser::parseFloat(const Token &t) {
  double v = 0;
  const char *b = t.spelling.begin(), *e = t.spelling.end();
  auto [ptr, ec] = std::from_chars(b, e, v);
  if (ec != std::errc() || ptr != e)
    return errorAt(t, "float literal out of range");
  return v;
}

void Parser::noteWideNumber(const Token &t, double value) {
  constexpr double kExactLimit = 9007199254740992.0; // 2^53
  if (wideNumber || std::fabs(value) < kExactLimit)
    return;
  bool wide = std::fabs(value) > kExactLimit;
  if (!wide) {
    // Exactly 2^53 as a double: 9007199254740993 rounds to it, so look at
    // the literal itself, at the precision of a long double.
    long double exact = 0;
    std::from_chars(t.spelling.begin(), t.spelling.end(), exact);
    wide = std::fabs(exact) > (long double)kExactLimit;
  }
  if (wide)
    wideNumber = t;
}

//===--- Types ------------------------------------------------------------===//

llvm::Expected<TensorType> Parser::parseType(llvm::StringRef what) {
  if (!tok.is(TokenKind::Identifier))
    return expected(what);
  Token typeTok = tok;
  std::optional<DType> dtype = parseDType(tok.spelling);
  if (!dtype)
    return errorAt(tok, fmt::format("unknown element type '{}'; expected "
                                    "f32, f64, f16, bf16 or i64",
                                    tok.spelling.str()));
  consume();
  if (llvm::Error err =
          expect(TokenKind::LSquare, fmt::format("'[' after element type {}",
                                                 dtypeName(*dtype).str())))
    return err;
  std::vector<int64_t> dims;
  if (!tok.is(TokenKind::RSquare)) {
    while (true) {
      llvm::Expected<int64_t> d = parseSize("a dimension size");
      if (!d)
        return d.takeError();
      dims.push_back(*d);
      if (tok.is(TokenKind::RSquare))
        break;
      if (llvm::Error err = expect(TokenKind::Comma, "',' or ']' in the shape"))
        return err;
    }
  }
  consume(); // ']'
  std::string problem = checkShape(dims);
  if (!problem.empty())
    return errorAt(typeTok, problem);
  return TensorType(*dtype, std::move(dims));
}

llvm::Expected<int64_t> Parser::parseSize(llvm::StringRef what) {
  Token first = tok;
  SizeExpr e;
  bool negate = false, any = false;
  auto tooLarge = [&](const Token &t) {
    return errorAt(t, fmt::format("size {} is out of range: sizes, "
                                  "coefficients and offsets are at most 2^52",
                                  t.spelling.str()));
  };
  while (true) {
    // A term, after an optional sign; `?p-1` lexes its `-1` as one number.
    if (tok.is(TokenKind::Minus)) {
      negate = !negate;
      consume();
    }
    Token termTok = tok;
    int64_t coefficient = 1;
    std::optional<std::string> symbol;
    if (tok.is(TokenKind::Integer)) {
      llvm::Expected<int64_t> v = parseInt(tok);
      if (!v)
        return v.takeError();
      coefficient = *v;
      consume();
      if (tok.is(TokenKind::Star)) {
        consume();
        if (!tok.is(TokenKind::Symbol))
          return expected("a size symbol such as ?s after '*'");
        symbol = tok.value;
        consume();
      }
    } else if (tok.is(TokenKind::Symbol)) {
      symbol = tok.value;
      consume();
      if (tok.is(TokenKind::Star)) {
        consume();
        if (!tok.is(TokenKind::Integer))
          return expected("an integer after '*'");
        llvm::Expected<int64_t> v = parseInt(tok);
        if (!v)
          return v.takeError();
        coefficient = *v;
        consume();
      }
    } else {
      return expected(any ? "a number or a size symbol such as ?s" : what);
    }
    any = true;
    if (negate)
      coefficient = -coefficient;
    // A lone number keeps its value, however large: checkShape and the
    // verifier say what is wrong with it.
    if (!symbol && e.terms.empty() && e.constant == 0 &&
        !tok.is(TokenKind::Plus) && !tok.is(TokenKind::Minus) &&
        !(tok.is(TokenKind::Integer) && tok.spelling.starts_with("-")) &&
        !tok.is(TokenKind::Symbol))
      return coefficient;
    if (coefficient < -kMaxSizeMagnitude || coefficient > kMaxSizeMagnitude)
      return tooLarge(termTok);
    if (symbol)
      e.terms.push_back({*symbol, coefficient});
    else if (__builtin_add_overflow(e.constant, coefficient, &e.constant))
      return tooLarge(termTok);
    negate = false;
    if (tok.is(TokenKind::Plus)) {
      consume();
      continue;
    }
    if (tok.is(TokenKind::Minus) ||
        (tok.is(TokenKind::Integer) && tok.spelling.starts_with("-")))
      continue;
    break;
  }
  std::optional<int64_t> size = makeSize(std::move(e));
  if (!size)
    return errorAt(first, "size is out of range: sizes, coefficients and "
                          "offsets are at most 2^52");
  return *size;
}

llvm::Expected<std::vector<int64_t>> Parser::parseSizeList() {
  if (llvm::Error err =
          expect(TokenKind::LSquare, "'[' before a list of sizes"))
    return std::move(err);
  std::vector<int64_t> sizes;
  while (!tok.is(TokenKind::RSquare)) {
    llvm::Expected<int64_t> s = parseSize("a size such as 4 or ?s");
    if (!s)
      return s.takeError();
    sizes.push_back(*s);
    if (tok.is(TokenKind::RSquare))
      break;
    if (llvm::Error err =
            expect(TokenKind::Comma, "',' or ']' after a list element"))
      return std::move(err);
  }
  consume(); // ']'
  return sizes;
}

//===--- Graph structure --------------------------------------------------===//

llvm::Expected<Graph> Parser::parse() {
  consume();
  if (tok.is(TokenKind::Eof))
    return errorAt(tok, "expected 'graph'");
  if (!tok.isKeyword("graph"))
    return expected("'graph'");
  consume();
  if (!tok.is(TokenKind::GraphName))
    return expected("a graph name such as @main after 'graph'");
  g.setName(tok.value);
  consume();

  if (llvm::Error err = expect(TokenKind::LParen, "'(' after the graph name"))
    return err;
  if (!tok.is(TokenKind::RParen)) {
    while (true) {
      if (llvm::Error err = parseArgument())
        return err;
      if (!tok.is(TokenKind::Comma))
        break;
      consume();
    }
  }
  if (llvm::Error err =
          expect(TokenKind::RParen, "',' or ')' after an argument"))
    return err;
  if (llvm::Error err = expect(TokenKind::LBrace, "'{' before the graph body"))
    return err;

  while (!tok.isKeyword("return")) {
    if (tok.is(TokenKind::RBrace))
      return errorAt(tok, "missing 'return' before '}'");
    if (!tok.is(TokenKind::TensorName))
      return expected("a node such as %y = neg %x : f32[4], or 'return'");
    if (llvm::Error err = parseNode())
      return err;
  }
  if (llvm::Error err = parseReturn())
    return err;
  if (!tok.is(TokenKind::Eof))
    return expected("end of file");
  return std::move(g);
}

llvm::Error Parser::parseArgument() {
  bool isParam = tok.isKeyword("param");
  if (isParam) {
    consume();
    if (!tok.is(TokenKind::TensorName))
      return expected("an argument name after 'param'");
  } else if (!tok.is(TokenKind::TensorName)) {
    return expected("an argument such as %x: f32[4]");
  }
  Token nameTok = tok;
  if (llvm::Error err = checkNotDefined(nameTok))
    return err;
  consume();
  if (llvm::Error err = expect(TokenKind::Colon, "':' after the argument name"))
    return err;
  llvm::Expected<TensorType> type =
      parseType("an argument type such as f32[4]");
  if (!type)
    return type.takeError();
  std::string name = isAnonymous(nameTok) ? std::string() : nameTok.value;
  TensorId id = isParam ? g.addParameter(std::move(name), std::move(*type))
                        : g.addInput(std::move(name), std::move(*type));
  define(nameTok, id);
  return llvm::Error::success();
}

llvm::Error Parser::parseReturn() {
  g.setReturnLoc(loc(tok));
  consume(); // 'return'
  if (tok.is(TokenKind::TensorName)) {
    while (true) {
      if (!tok.is(TokenKind::TensorName))
        return expected("an output tensor after ','");
      llvm::Expected<TensorId> id = resolve(tok);
      if (!id)
        return id.takeError();
      g.addOutput(*id, loc(tok));
      consume();
      if (!tok.is(TokenKind::Comma))
        break;
      consume();
    }
  }
  if (tok.is(TokenKind::RBrace)) {
    consume();
    return llvm::Error::success();
  }
  return expected(g.outputs().empty() ? "an output tensor or '}' after 'return'"
                                      : "',' or '}' after an output tensor");
}

llvm::Expected<OpKind> Parser::parseOpName() {
  if (!tok.is(TokenKind::Identifier))
    return expected("an op name after '='");
  if (std::optional<OpKind> op = lookupOp(tok.spelling))
    return *op;
  llvm::StringRef name = tok.spelling;
  std::string message = fmt::format(
      "unknown op '{}'",
      name.size() > 40 ? name.take_front(40).str() + "..." : name.str());
  std::vector<std::string> names;
  for (const OpInfo &info : allOps())
    names.push_back(info.name.str());
  if (std::optional<std::string> suggestion = closestMatch(name, names))
    message += fmt::format("; did you mean '{}'?", *suggestion);
  return errorAt(tok, std::move(message));
}

llvm::Error Parser::parseNode() {
  std::vector<Token> results;
  while (true) {
    if (!tok.is(TokenKind::TensorName))
      return expected("a result name after ','");
    if (llvm::Error err = checkNotDefined(tok))
      return err;
    for (const Token &r : results)
      if (r.value == tok.value && isAnonymous(r) == isAnonymous(tok))
        return errorAt(tok, fmt::format("redefinition of {}, first defined "
                                        "on line {}",
                                        tok.spelling.str(), r.line));
    results.push_back(tok);
    consume();
    if (!tok.is(TokenKind::Comma))
      break;
    consume();
  }
  if (llvm::Error err =
          expect(TokenKind::Equal, "'=' or ',' after a result name"))
    return err;

  Token opTok = tok;
  llvm::Expected<OpKind> op = parseOpName();
  if (!op)
    return op.takeError();
  const OpInfo &info = opInfo(*op);
  unsigned wanted = numResults(info);
  if (results.size() != wanted)
    return errorAt(opTok, fmt::format("'{}' has {} result{}, but {} names "
                                      "are defined",
                                      info.name.str(), wanted,
                                      wanted == 1 ? "" : "s", results.size()));
  consume();

  Node node;
  node.op = *op;
  node.loc = loc(opTok);
  nodeDescription = fmt::format("'{}' producing {}", info.name.str(),
                                results.front().spelling.str());
  nodeOpTok = opTok;
  if (tok.is(TokenKind::TensorName)) {
    while (true) {
      if (!tok.is(TokenKind::TensorName))
        return expected("an operand after ','");
      llvm::Expected<TensorId> id = resolve(tok);
      if (!id)
        return id.takeError();
      node.inputs.push_back(*id);
      consume();
      if (!tok.is(TokenKind::Comma))
        break;
      consume();
    }
  }
  wideNumber.reset();
  if (llvm::Error err = parseAttributes(*op, opTok, node.attrs))
    return err;

  if (llvm::Error err = expect(TokenKind::Colon, "':' before the result type"))
    return err;
  Token firstType = tok;
  std::vector<TensorType> types;
  while (true) {
    llvm::Expected<TensorType> type = parseType("a result type such as f32[4]");
    if (!type)
      return type.takeError();
    types.push_back(std::move(*type));
    if (!tok.is(TokenKind::Comma))
      break;
    consume();
  }
  if (types.size() != results.size())
    return errorAt(firstType,
                   fmt::format("{} result type{} given for {} result{}",
                               types.size(), types.size() == 1 ? "" : "s",
                               results.size(), results.size() == 1 ? "" : "s"));
  if (*op == OpKind::Constant && wideNumber &&
      types.front().elementType() == DType::I64) {
    llvm::StringRef s = wideNumber->spelling;
    return errorAt(
        *wideNumber,
        fmt::format("{} {} cannot be held exactly in i64 constant data: "
                    "constants hold magnitudes up to 2^53 (9007199254740992)",
                    wideNumber->is(TokenKind::Integer) ? "integer" : "value",
                    s.size() > 40 ? s.take_front(40).str() + "..." : s.str()));
  }

  for (size_t i = 0; i < results.size(); ++i) {
    std::string name =
        isAnonymous(results[i]) ? std::string() : results[i].value;
    node.outputs.push_back(
        define(results[i], g.addTensor(std::move(name), std::move(types[i]))));
  }
  g.addNodeUnchecked(std::move(node));
  return llvm::Error::success();
}

//===--- Attributes -------------------------------------------------------===//

llvm::Error Parser::parseAttributes(OpKind op, const Token &opTok,
                                    std::vector<Attribute> &out) {
  const OpInfo &info = opInfo(op);
  std::vector<NamedAttribute> given;
  std::vector<Token> givenAt;
  if (tok.is(TokenKind::LBrace)) {
    consume();
    while (!tok.is(TokenKind::RBrace)) {
      if (!tok.is(TokenKind::Identifier))
        return expected("an attribute name");
      Token nameTok = tok;
      llvm::StringRef name = nameTok.spelling;
      std::optional<unsigned> index = info.attrIndex(name);
      if (!index) {
        if (info.attrs.empty())
          return errorAt(nameTok,
                         fmt::format("unknown attribute '{}': '{}' takes no "
                                     "attributes",
                                     name.str(), info.name.str()));
        std::vector<std::string> known;
        for (const AttrSpec &spec : info.attrs)
          known.push_back(spec.name);
        return errorAt(nameTok,
                       fmt::format("unknown attribute '{}' of '{}'; known "
                                   "attributes: {}",
                                   name.str(), info.name.str(),
                                   llvm::join(known, ", ")));
      }
      for (const NamedAttribute &prev : given)
        if (prev.first == name)
          return errorAt(nameTok, fmt::format("attribute '{}' is given twice",
                                              name.str()));
      consume();
      if (llvm::Error err =
              expect(TokenKind::Equal, "'=' after the attribute name"))
        return err;
      Token valueTok = tok;
      const AttrSpec &spec = info.attrs[*index];
      std::optional<Attribute> value;
      if (spec.kind == AttrKind::Size) {
        llvm::Expected<int64_t> size = parseSize(
            fmt::format("a size such as 4 or ?s for '{}'", spec.name));
        if (!size)
          return size.takeError();
        value = Attribute::ofInt(*size);
      } else if (spec.kind == AttrKind::Sizes) {
        if (!tok.is(TokenKind::LSquare))
          return expected(fmt::format("a list of sizes such as [1, ?s, 64] "
                                      "for '{}'",
                                      spec.name));
        llvm::Expected<std::vector<int64_t>> sizes = parseSizeList();
        if (!sizes)
          return sizes.takeError();
        value = Attribute::ofInts(std::move(*sizes));
      } else {
        llvm::Expected<RawValue> raw = parseValue();
        if (!raw)
          return raw.takeError();
        llvm::Expected<Attribute> converted =
            convert(info, spec, *raw, valueTok);
        if (!converted)
          return converted.takeError();
        value = std::move(*converted);
      }
      given.emplace_back(name.str(), std::move(*value));
      givenAt.push_back(nameTok);
      if (tok.is(TokenKind::RBrace))
        break;
      if (llvm::Error err =
              expect(TokenKind::Comma, "',' or '}' after an attribute value"))
        return err;
    }
    consume(); // '}'
  }

  for (const AttrSpec &spec : info.attrs)
    if (!spec.defaultValue &&
        llvm::none_of(given, [&](const NamedAttribute &a) {
          return a.first == spec.name;
        }))
      return errorAt(opTok, fmt::format("'{}' requires attribute '{}' ({})",
                                        info.name.str(), spec.name,
                                        attrKindName(spec.kind).str()));

  llvm::Expected<std::vector<Attribute>> all = resolveAttributes(op, given);
  if (!all) {
    // Everything resolveAttributes checks was checked above with a better
    // location; should it know more, blame the attribute it names.
    std::string message = firstMessage(all.takeError());
    for (size_t i = 0; i < given.size(); ++i)
      if (llvm::StringRef(message).contains("'" + given[i].first + "'"))
        return errorAt(givenAt[i], message);
    return errorAt(opTok, message);
  }
  out = std::move(*all);
  return llvm::Error::success();
}

llvm::Error Parser::parseNumber(RawValue &out) {
  // A leading '-' before inf/nan; before digits the lexer already took it.
  bool negative = tok.is(TokenKind::Minus);
  if (negative) {
    consume();
    if (!tok.isKeyword("inf") && !tok.isKeyword("nan"))
      return expected("inf or nan after '-'");
  }
  if (tok.is(TokenKind::Integer)) {
    llvm::Expected<int64_t> v = parseInt(tok);
    if (!v)
      return v.takeError();
    out.kind = RawValue::Int;
    out.intValue = *v;
    out.floatValue = double(*v);
    noteWideNumber(tok, out.floatValue);
  } else if (tok.is(TokenKind::Float)) {
    llvm::Expected<double> v = parseFloat(tok);
    if (!v)
      return v.takeError();
    out.kind = RawValue::Float;
    out.floatValue = *v;
    noteWideNumber(tok, out.floatValue);
  } else {
    double v = tok.spelling == "inf" ? INFINITY : NAN;
    out.kind = RawValue::Float;
    out.floatValue = negative ? -v : v;
  }
  consume();
  return llvm::Error::success();
}

llvm::Expected<RawValue> Parser::parseValue() {
  RawValue v;
  switch (tok.kind) {
  case TokenKind::Integer:
  case TokenKind::Float:
  case TokenKind::Minus:
    if (llvm::Error err = parseNumber(v))
      return err;
    return v;
  case TokenKind::String:
    v.kind = RawValue::String;
    v.text = tok.value;
    consume();
    return v;
  case TokenKind::Identifier:
    v.kind = RawValue::Word;
    v.text = tok.spelling.str();
    consume();
    return v;
  case TokenKind::LSquare:
    break;
  default:
    return expected("an attribute value");
  }

  v.kind = RawValue::List;
  consume();
  while (!tok.is(TokenKind::RSquare)) {
    bool isNumber = tok.is(TokenKind::Integer) || tok.is(TokenKind::Float) ||
                    tok.is(TokenKind::Minus) || tok.isKeyword("inf") ||
                    tok.isKeyword("nan");
    if (!isNumber)
      return expected("a number in the list");
    RawValue element;
    if (llvm::Error err = parseNumber(element))
      return err;
    v.listHasFloat |= element.kind == RawValue::Float;
    v.ints.push_back(element.intValue);
    v.floats.push_back(element.floatValue);
    if (tok.is(TokenKind::RSquare))
      break;
    if (llvm::Error err =
            expect(TokenKind::Comma, "',' or ']' after a list element"))
      return err;
  }
  consume(); // ']'
  return v;
}

llvm::Expected<Attribute> Parser::convert(const OpInfo &info,
                                          const AttrSpec &spec,
                                          const RawValue &raw,
                                          const Token &at) {
  auto mismatch = [&]() -> llvm::Error {
    std::string wanted =
        spec.kind == AttrKind::Enum ? "enum " + llvm::join(spec.enumValues, "|")
        : spec.kind == AttrKind::Epilogue
            ? std::string("an epilogue, a quoted expression such as "
                          "\"acc * 0.125\"")
            : attrKindName(spec.kind).str();
    return errorAt(at, fmt::format("attribute '{}' of '{}' expects {}, got {}",
                                   spec.name, info.name.str(), wanted,
                                   describe(raw)));
  };
  bool isWord = raw.kind == RawValue::Word;
  switch (spec.kind) {
  case AttrKind::Int:
    if (raw.kind == RawValue::Int)
      return Attribute::ofInt(raw.intValue);
    return mismatch();
  case AttrKind::Float:
    if (raw.kind == RawValue::Int || raw.kind == RawValue::Float)
      return Attribute::ofFloat(raw.floatValue);
    if (isWord && (raw.text == "inf" || raw.text == "nan"))
      return Attribute::ofFloat(raw.text == "inf" ? INFINITY : NAN);
    return mismatch();
  case AttrKind::Bool:
    if (isWord && (raw.text == "true" || raw.text == "false"))
      return Attribute::ofBool(raw.text == "true");
    return mismatch();
  case AttrKind::String:
    if (raw.kind == RawValue::String)
      return Attribute::ofString(raw.text);
    return mismatch();
  case AttrKind::Enum:
    if (!isWord && raw.kind != RawValue::String)
      return mismatch();
    if (!llvm::is_contained(spec.enumValues, raw.text))
      return errorAt(at, fmt::format("attribute '{}' of '{}' is '{}'; "
                                     "expected one of {}",
                                     spec.name, info.name.str(), raw.text,
                                     llvm::join(spec.enumValues, ", ")));
    return Attribute::ofString(raw.text);
  case AttrKind::Ints:
    if (raw.kind == RawValue::List && !raw.listHasFloat)
      return Attribute::ofInts(raw.ints);
    return mismatch();
  case AttrKind::Floats:
    if (raw.kind == RawValue::List)
      return Attribute::ofFloats(raw.floats);
    return mismatch();
  case AttrKind::Size:
  case AttrKind::Sizes:
    llvm_unreachable("sizes are read by parseSize");
  case AttrKind::Epilogue: {
    if (raw.kind != RawValue::String)
      return mismatch();
    // Parsed here once; the verifier checks the tree against the node.
    llvm::Expected<Epilogue> e = parseEpilogue(raw.text);
    if (!e)
      return errorAt(nodeOpTok,
                     nodeDescription + ": " + firstMessage(e.takeError()));
    return Attribute::ofEpilogue(std::move(*e));
  }
  }
  return mismatch();
}

} // namespace

llvm::Expected<Graph> parseGraph(llvm::StringRef text, llvm::StringRef fileName,
                                 unsigned firstLine) {
  return Parser(text, fileName, firstLine).parse();
}

} // namespace einsum
