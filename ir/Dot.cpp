//===- Dot.cpp - Graphviz export ------------------------------------------===//
//
// Node ids are stable and derived from graph positions (a<argument>,
// n<node id>, o<output>), and everything is emitted in graph order, so the
// same graph always gives the same file. Labels reuse the printer's
// spellings, so a DOT picture and the textual IR name things alike.
//
//===----------------------------------------------------------------------===//
#include "ir/Dot.h"

#include "ir/Lexer.h"
#include "ir/PrintUtils.h"

#include "ir/Diagnostic.h"

#include <string>

namespace einsum {

/// A DOT double-quoted string. Labels are built from printer spellings,
/// already free of control bytes and invalid UTF-8; `\n` in `s` becomes a
/// DOT line break, and every other backslash is kept literal.
static std::string dotQuote(llvm::StringRef s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\n')
      out += "\\n";
    else if (c == '"' || c == '\\')
      out += {'\\', c};
    else
      out += c;
  }
  return out + "\"";
}

/// The graph name is raw user text: shown as is when it is readable, else
/// as the printer quotes it, so control bytes and bad UTF-8 arrive escaped.
static std::string dotTitle(llvm::StringRef name) {
  // Tabs and newlines are text to a terminal, not to a one-line title.
  if (isTerminalText(name) &&
      name.find_first_of("\t\n") == llvm::StringRef::npos)
    return name.str();
  std::string quoted = quoteString(name);
  return quoted.substr(1, quoted.size() - 2);
}

void exportDot(const Graph &g, llvm::raw_ostream &os) {
  TensorNamer names(g);
  os << "digraph " << dotQuote(dotTitle(g.name())) << " {\n";
  os << "  rankdir=TB;\n";

  // Where each tensor comes from: an argument ellipse or a node box.
  std::vector<std::string> source(g.numTensors());
  llvm::ArrayRef<TensorId> args = g.arguments();
  for (size_t i = 0; i < args.size(); ++i) {
    TensorId arg = args[i];
    if (!g.isValid(arg))
      continue;
    std::string id = "a" + std::to_string(i);
    if (source[arg.index()].empty())
      source[arg.index()] = id;
    std::string label = (g.isParameter(arg) ? "param " : "") +
                        names.spell(arg) + " : " + spellType(g, arg);
    os << "  " << id << " [shape=ellipse, label=" << dotQuote(label) << "];\n";
  }

  std::vector<NodeId> live = g.definitionOrder();
  for (NodeId n : live) {
    const Node &node = g.node(n);
    std::string id = "n" + std::to_string(n.index());
    for (TensorId out : node.outputs)
      if (g.isValid(out) && source[out.index()].empty())
        source[out.index()] = id;
    std::string label = node.info().name.str();
    for (const std::string &attr : formatAttributes(g, node))
      label += "\n" + attr;
    os << "  " << id << " [shape=box, label=" << dotQuote(label) << "];\n";
  }

  llvm::ArrayRef<TensorId> outs = g.outputs();
  for (size_t i = 0; i < outs.size(); ++i)
    os << "  o" << i << " [shape=ellipse, style=bold, label="
       << dotQuote("output " + std::to_string(i)) << "];\n";

  // Tensors nobody defines (an unverified graph) get no edge.
  auto edge = [&](TensorId t, const std::string &to) {
    if (!g.isValid(t) || source[t.index()].empty())
      return;
    os << "  " << source[t.index()] << " -> " << to
       << " [label=" << dotQuote(names.spell(t) + " : " + spellType(g, t))
       << "];\n";
  };
  for (NodeId n : live)
    for (TensorId in : g.node(n).inputs)
      edge(in, "n" + std::to_string(n.index()));
  for (size_t i = 0; i < outs.size(); ++i)
    edge(outs[i], "o" + std::to_string(i));
  os << "}\n";
}

} // namespace einsum
