//===- Pass.h - The pass interface ------------------------------*- C++ -*-===//
//
// A pass has a kebab-case name, a one-line summary, typed options settable
// from the pipeline text (`fold-constants{max-elements=64}`) and statistics
// it counts itself, so `--pass-statistics` works in release builds.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_PASSES_PASS_H
#define EINSUM_PASSES_PASS_H

#include "ir/Graph.h"

#include "llvm/Support/Error.h"

#include <memory>
#include <string>
#include <vector>

namespace einsum {

class Pass;

/// What a fusion pass decided about one candidate: fused, or not and why.
/// `--debug-fusion` prints them; tests check the reasons.
struct FusionRemark {
  std::string pass;
  std::string subject;
  SourceLoc loc;
  bool fused = false;
  std::string reason;

  /// `loc: remark: [pass] subject: fused (reason)` or `... not fused: reason`.
  std::string str() const;
};

/// State shared by the passes of one pipeline run.
class PassContext {
public:
  void remark(const Pass &pass, const Graph &g, NodeId node, bool fused,
              std::string reason);
  const std::vector<FusionRemark> &remarks() const { return fusionRemarks; }
  /// Remarks recorded since the last call.
  std::vector<FusionRemark> takeNewRemarks();

private:
  std::vector<FusionRemark> fusionRemarks;
  size_t reported = 0;
};

class Pass {
public:
  /// A typed option; the owning pass lists it in declaration order.
  class OptionBase {
  public:
    OptionBase(Pass &owner, std::string name, std::string description);
    virtual ~OptionBase() = default;
    const std::string &name() const { return optName; }
    const std::string &description() const { return optDescription; }
    virtual llvm::StringRef kindName() const = 0;
    virtual llvm::Error parse(llvm::StringRef text) = 0;
    virtual std::string str() const = 0;
    virtual bool isDefault() const = 0;

  private:
    std::string optName, optDescription;
  };

  template <typename T> class Option : public OptionBase {
  public:
    Option(Pass &owner, std::string name, std::string description, T init)
        : OptionBase(owner, std::move(name), std::move(description)),
          value(init), initial(init) {}
    operator const T &() const { return value; }
    const T &get() const { return value; }
    void set(T v) { value = std::move(v); }
    llvm::StringRef kindName() const override;
    llvm::Error parse(llvm::StringRef text) override;
    std::string str() const override;
    bool isDefault() const override { return value == initial; }

  private:
    T value, initial;
  };

  /// A counter reported by `--pass-statistics`.
  class Statistic {
  public:
    Statistic(Pass &owner, std::string name, std::string description);
    Statistic &operator++() {
      ++count;
      return *this;
    }
    Statistic &operator+=(uint64_t n) {
      count += n;
      return *this;
    }
    uint64_t value() const { return count; }
    const std::string &name() const { return statName; }
    const std::string &description() const { return statDescription; }

  private:
    std::string statName, statDescription;
    uint64_t count = 0;
  };

  Pass() = default;
  Pass(const Pass &) = delete;
  Pass &operator=(const Pass &) = delete;
  virtual ~Pass() = default;

  virtual llvm::StringRef name() const = 0;
  virtual llvm::StringRef summary() const = 0;

  /// Runs on `g`; returns whether the graph changed. An error means the
  /// pass could not do its job (not that it found nothing to do).
  virtual llvm::Expected<bool> run(Graph &g, PassContext &ctx) = 0;

  llvm::ArrayRef<OptionBase *> options() const { return opts; }
  llvm::ArrayRef<Statistic *> statistics() const { return stats; }
  /// Sets option `name` from text, or says which options exist.
  llvm::Error setOption(llvm::StringRef name, llvm::StringRef value);
  /// `name` or `name{opt=value ...}` listing options not at their default:
  /// the text that recreates this pass in a pipeline.
  std::string pipelineText() const;

private:
  friend class OptionBase;
  friend class Statistic;
  std::vector<OptionBase *> opts;
  std::vector<Statistic *> stats;
};

// Defined once in Pass.cpp for the option types passes use.
extern template class Pass::Option<int64_t>;
extern template class Pass::Option<double>;
extern template class Pass::Option<bool>;
extern template class Pass::Option<std::string>;

} // namespace einsum

#endif // EINSUM_PASSES_PASS_H
