//===- RewriteRule.cpp ----------------------------------------------------===//
#include "passes/RewriteRule.h"
#include "passes/RewriteUtils.h"

#include "ir/TypeInference.h"

#include <fmt/format.h>

#include <cctype>
#include <map>

namespace einsum {

/// A node of a pattern, a replacement, or a constant expression.
struct RewriteRule::Term {
  enum Kind { Op, Var, Number, Arith } kind;
  OpKind op = OpKind::Neg; // Op
  std::string name;        // Var
  double value = 0;        // Number
  char arith = 0;          // Arith: + - * / or 'n' for negation
  std::vector<std::shared_ptr<const Term>> children;
};

using Term = RewriteRule::Term;
using TermPtr = std::shared_ptr<const Term>;

namespace {

class RuleParser {
public:
  explicit RuleParser(llvm::StringRef text) : text(text) {}

  llvm::Expected<TermPtr> term() {
    skip();
    if (consume('['))
      return constExpr(']');
    size_t start = pos;
    while (pos < text.size() &&
           (std::isalnum(static_cast<unsigned char>(text[pos])) ||
            text[pos] == '_' || text[pos] == '.' || text[pos] == '-'))
      ++pos;
    llvm::StringRef word = text.slice(start, pos);
    if (word.empty())
      return error("expected a term");
    auto t = std::make_shared<Term>();
    double number;
    if (!word.getAsDouble(number)) {
      t->kind = Term::Number;
      t->value = number;
      return t;
    }
    skip();
    if (!consume('(')) {
      t->kind = Term::Var;
      t->name = word.str();
      return t;
    }
    std::optional<OpKind> op = lookupOp(word);
    if (!op)
      return error(fmt::format("unknown op '{}'", word.str()));
    t->kind = Term::Op;
    t->op = *op;
    while (true) {
      llvm::Expected<TermPtr> child = term();
      if (!child)
        return child.takeError();
      t->children.push_back(*child);
      skip();
      if (consume(')'))
        return t;
      if (!consume(','))
        return error("expected ',' or ')'");
    }
  }

  bool consumeArrow() {
    skip();
    if (!text.substr(pos).starts_with("=>"))
      return false;
    pos += 2;
    return true;
  }

  bool atEnd() {
    skip();
    return pos == text.size();
  }

  llvm::Error error(std::string message) const {
    return makeError(fmt::format("rewrite rule '{}': column {}: {}", text.str(),
                                 pos + 1, message));
  }

private:
  void skip() {
    while (pos < text.size() && text[pos] == ' ')
      ++pos;
  }
  bool consume(char c) {
    skip();
    if (pos < text.size() && text[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }

  /// sum of products of (negated) constant names, numbers, parentheses.
  llvm::Expected<TermPtr> constExpr(char close) {
    llvm::Expected<TermPtr> lhs = constProduct();
    while (lhs) {
      skip();
      if (consume(close))
        return lhs;
      char op = pos < text.size() ? text[pos] : 0;
      if (op != '+' && op != '-')
        return error("expected '+', '-' or the end of the expression");
      ++pos;
      llvm::Expected<TermPtr> rhs = constProduct();
      if (!rhs)
        return rhs.takeError();
      lhs = arith(op, *lhs, *rhs);
    }
    return lhs;
  }

  llvm::Expected<TermPtr> constProduct() {
    llvm::Expected<TermPtr> lhs = constAtom();
    while (lhs) {
      skip();
      char op = pos < text.size() ? text[pos] : 0;
      if (op != '*' && op != '/')
        return lhs;
      ++pos;
      llvm::Expected<TermPtr> rhs = constAtom();
      if (!rhs)
        return rhs.takeError();
      lhs = arith(op, *lhs, *rhs);
    }
    return lhs;
  }

  llvm::Expected<TermPtr> constAtom() {
    skip();
    if (consume('-')) {
      llvm::Expected<TermPtr> inner = constAtom();
      if (!inner)
        return inner.takeError();
      return arith('n', *inner, nullptr);
    }
    if (consume('('))
      return constExpr(')');
    size_t start = pos;
    while (pos < text.size() &&
           (std::isalnum(static_cast<unsigned char>(text[pos])) ||
            text[pos] == '.'))
      ++pos;
    llvm::StringRef word = text.slice(start, pos);
    auto t = std::make_shared<Term>();
    double number;
    if (word.empty())
      return error("expected a constant name or a number");
    if (!word.getAsDouble(number)) {
      t->kind = Term::Number;
      t->value = number;
    } else {
      t->kind = Term::Var;
      t->name = word.str();
    }
    return TermPtr(t);
  }

  static TermPtr arith(char op, TermPtr a, TermPtr b) {
    auto t = std::make_shared<Term>();
    t->kind = Term::Arith;
    t->arith = op;
    t->children.push_back(a);
    if (b)
      t->children.push_back(b);
    return t;
  }

  llvm::StringRef text;
  size_t pos = 0;
};

bool isConstName(llvm::StringRef name) { return name.starts_with("c"); }

bool isCommutative(OpKind op) {
  return op == OpKind::Add || op == OpKind::Mul || op == OpKind::Max ||
         op == OpKind::Min;
}

struct Bindings {
  std::map<std::string, TensorId> tensors;
  std::map<std::string, double> constants;
};

bool match(const Graph &g, const Term &p, TensorId t, Bindings &b) {
  switch (p.kind) {
  case Term::Var: {
    if (isConstName(p.name)) {
      std::optional<double> v = splatValue(g, t);
      if (!v)
        return false;
      b.constants[p.name] = *v;
    }
    auto [it, inserted] = b.tensors.emplace(p.name, t);
    return inserted || it->second == t;
  }
  case Term::Number: {
    std::optional<double> v = splatValue(g, t);
    return v && *v == p.value;
  }
  case Term::Op: {
    NodeId n = g.producer(t);
    if (!n || g.node(n).op != p.op ||
        g.node(n).inputs.size() != p.children.size())
      return false;
    const std::vector<TensorId> &ins = g.node(n).inputs;
    Bindings saved = b;
    bool ok = true;
    for (size_t i = 0; ok && i < ins.size(); ++i)
      ok = match(g, *p.children[i], ins[i], b);
    if (ok)
      return true;
    b = saved;
    if (!isCommutative(p.op) || ins.size() != 2)
      return false;
    return match(g, *p.children[0], ins[1], b) &&
           match(g, *p.children[1], ins[0], b);
  }
  case Term::Arith:
    return false;
  }
  return false;
}

double evaluate(const Term &e, const Bindings &b) {
  switch (e.kind) {
  case Term::Number:
    return e.value;
  case Term::Var:
    return b.constants.at(e.name);
  case Term::Arith: {
    double x = evaluate(*e.children[0], b);
    if (e.arith == 'n')
      return -x;
    double y = evaluate(*e.children[1], b);
    switch (e.arith) {
    case '+':
      return x + y;
    case '-':
      return x - y;
    case '*':
      return x * y;
    default:
      return x / y;
    }
  }
  default:
    llvm_unreachable("not a constant expression");
  }
}

/// The shape a new constant takes: the broadcast of the constants it is
/// computed from, so that it stands in for them exactly.
TensorType constantType(const Graph &g, const Term &e, const Bindings &b,
                        const TensorType &fallback) {
  std::optional<TensorType> type;
  std::function<void(const Term &)> visit = [&](const Term &t) {
    if (t.kind == Term::Var) {
      const TensorType &ct = g.type(b.tensors.at(t.name));
      if (!type) {
        type = ct;
      } else {
        llvm::Expected<std::vector<int64_t>> s =
            broadcastShapes(type->shape(), ct.shape());
        if (s)
          type = TensorType(type->elementType(), *s);
        else
          llvm::consumeError(s.takeError());
      }
    }
    for (const TermPtr &c : t.children)
      visit(*c);
  };
  visit(e);
  return type ? *type : TensorType(fallback.elementType(), {});
}

} // namespace

llvm::Expected<RewriteRule> RewriteRule::parse(llvm::StringRef text) {
  RuleParser p(text);
  llvm::Expected<TermPtr> pattern = p.term();
  if (!pattern)
    return pattern.takeError();
  if (!p.consumeArrow())
    return p.error("expected '=>'");
  llvm::Expected<TermPtr> replacement = p.term();
  if (!replacement)
    return replacement.takeError();
  if (!p.atEnd())
    return p.error("expected the end of the rule");
  if ((*pattern)->kind != Term::Op)
    return p.error("a pattern must start with an op");
  for (const TermPtr &c : (*replacement)->children)
    if (c->kind == Term::Op)
      return p.error("a replacement is one op over bound tensors and "
                     "constants");
  if ((*replacement)->kind == Term::Op) {
    const OpInfo &info = opInfo((*replacement)->op);
    int n = (*replacement)->children.size();
    if (n < info.minInputs || (info.maxInputs >= 0 && n > info.maxInputs))
      return p.error(fmt::format("'{}' cannot take {} input{}", info.name.str(),
                                 n, n == 1 ? "" : "s"));
  }
  RewriteRule rule;
  rule.ruleText = text.str();
  rule.pattern = *pattern;
  rule.replacement = *replacement;
  return rule;
}

bool RewriteRule::apply(Graph &g, TensorId root) const {
  Bindings b;
  if (!match(g, *pattern, root, b))
    return false;
  const TensorType &type = g.type(root);
  if (replacement->kind == Term::Var) {
    NodeId matched = g.producer(root);
    if (!replaceIfInternal(g, root, b.tensors.at(replacement->name)))
      return false;
    // Nothing reads it now; erasing it at once keeps it from matching again.
    g.eraseNode(matched);
    return true;
  }
  if (replacement->kind == Term::Arith || replacement->kind == Term::Number) {
    llvm::Error err =
        redefine(g, root, OpKind::Constant, {},
                 {{"value", Attribute::ofFloat(evaluate(*replacement, b))}});
    // A splat of the result's own type always type-checks.
    llvm::cantFail(std::move(err));
    return true;
  }
  // Type-check the replacement before adding its constants, so that a
  // rule that does not apply leaves the graph as it was.
  std::vector<TensorType> inputTypes;
  for (const TermPtr &c : replacement->children)
    inputTypes.push_back(c->kind == Term::Var ? g.type(b.tensors.at(c->name))
                                              : constantType(g, *c, b, type));
  llvm::Expected<std::vector<Attribute>> attrs =
      resolveAttributes(replacement->op, {});
  if (!attrs) {
    llvm::consumeError(attrs.takeError());
    return false;
  }
  llvm::Expected<TensorType> replaced =
      inferResultType(replacement->op, inputTypes, *attrs, type);
  if (!replaced) {
    // The replacement would change the type (a broadcast): not this rule.
    llvm::consumeError(replaced.takeError());
    return false;
  }
  std::vector<TensorId> inputs;
  for (size_t k = 0; k < replacement->children.size(); ++k) {
    const Term &c = *replacement->children[k];
    inputs.push_back(c.kind == Term::Var
                         ? b.tensors.at(c.name)
                         : addSplat(g, inputTypes[k], evaluate(c, b)));
  }
  // The type is checked above, so the new node is the graph's now.
  llvm::cantFail(redefine(g, root, replacement->op, inputs));
  return true;
}

} // namespace einsum
