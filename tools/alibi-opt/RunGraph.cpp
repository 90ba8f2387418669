//===- RunGraph.cpp -------------------------------------------------------===//
#include "tools/alibi-opt/RunGraph.h"
#include "ir/Diagnostic.h"
#include "ir/FlopCount.h"
#include "ir/Npy.h"
#include "ir/OutputFile.h"
#include "ir/SizeBindings.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/xxhash.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <set>

namespace einsum {

llvm::Expected<TensorData> randomTensor(const TensorType &type, unsigned seed,
                                        llvm::StringRef name) {
  llvm::Expected<TensorData> allocated = TensorData::allocate(type);
  if (!allocated)
    return allocated.takeError();
  TensorData &t = *allocated;
  // splitmix64 seeded from the seed and the name: no dependence on the
  // standard library's distributions, which differ between implementations.
  uint64_t state = llvm::xxh3_64bits(name) ^ (uint64_t(seed) << 32 | seed);
  auto next = [&state] {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  for (int64_t i = 0; i < t.numElements(); ++i) {
    double u = double(next() >> 11) / double(1ULL << 53);
    t.set(i, type.elementType() == DType::I64 ? std::floor(u * 8) : 2 * u - 1);
  }
  return allocated;
}

/// Whether a file holding `holds` can be argument type `want`: the same
/// element type and rank, and the same size wherever `want` is static (the
/// symbols' values are checked together when the graph runs).
static bool fits(const TensorType &holds, const TensorType &want) {
  if (holds.elementType() != want.elementType() || holds.rank() != want.rank())
    return false;
  for (unsigned d = 0; d < want.rank(); ++d)
    if (!isSymbolicSize(want.dim(d)) && want.dim(d) != holds.dim(d))
      return false;
  return true;
}

/// The symbols' values for the random inputs: --dim, then what the files
/// read give, then the defaults. A file disagreeing with --dim is an error.
static llvm::Expected<SizeBindings>
knownSizes(const Executable &exe,
           llvm::ArrayRef<std::optional<TensorData>> bound,
           llvm::ArrayRef<std::string> specs, const RunOptions &options) {
  SizeBindings known = options.dims;
  for (size_t i = 0; i < bound.size(); ++i) {
    if (!bound[i])
      continue;
    const TensorType &want = exe.argumentTypes()[i];
    for (unsigned d = 0; d < want.rank(); ++d) {
      std::optional<std::string> symbol = loneSymbol(want.dim(d));
      if (!symbol)
        continue;
      int64_t value = bound[i]->type().dim(d);
      auto it = options.dims.find(*symbol);
      if (it != options.dims.end() && it->second != value)
        return makeError(fmt::format("--input '{}' holds {}, where ?{} is {}, "
                                     "but --dim gives {}={}",
                                     specs[i], bound[i]->type().str(), *symbol,
                                     value, *symbol, it->second));
      known.emplace(*symbol, value);
    }
  }
  for (const auto &[symbol, value] : options.defaultDims)
    known.emplace(symbol, value);
  return known;
}

/// Reads every --input, checking names and types against the executable's
/// arguments; returns the inputs in argument order.
static llvm::Expected<std::vector<TensorData>>
bindInputs(const Executable &exe, const RunOptions &options) {
  llvm::ArrayRef<std::string> names = exe.argumentNames();
  std::vector<std::optional<TensorData>> bound(names.size());
  std::vector<std::string> specs(names.size());
  for (const std::string &spec : options.inputs) {
    auto [name, path] = llvm::StringRef(spec).split('=');
    if (name.empty() || path.empty())
      return makeError(fmt::format("--input '{}' is not of the form "
                                   "NAME=PATH.npy",
                                   spec));
    auto it = std::find(names.begin(), names.end(), name);
    if (it == names.end()) {
      std::vector<std::string> sorted(names.begin(), names.end());
      std::sort(sorted.begin(), sorted.end());
      return makeError(fmt::format("--input '{}': the graph has no argument "
                                   "named '{}'; its arguments are: {}",
                                   spec, name.str(), llvm::join(sorted, ", ")));
    }
    size_t index = it - names.begin();
    if (bound[index])
      return makeError(fmt::format("--input '{}': argument '{}' is given "
                                   "twice",
                                   spec, name.str()));
    const TensorType &want = exe.argumentTypes()[index];
    // Checked on the header, before the data is read: a file, or a FIFO
    // that never ends, costs at most the argument's size.
    llvm::Expected<TensorData> data =
        readNpy(path, [&](const TensorType &holds) -> llvm::Error {
          if (fits(holds, want))
            return llvm::Error::success();
          if (holds.elementType() != want.elementType())
            return makeError(fmt::format(
                "--input '{}': {} holds {} ({}) but argument '{}' is {} "
                "({})",
                spec, path.str(), holds.str(),
                npyDescrText(holds.elementType()), name.str(), want.str(),
                npyDescrText(want.elementType())));
          return makeError(fmt::format("--input '{}': {} holds {} but "
                                       "argument '{}' is {}",
                                       spec, path.str(), holds.str(),
                                       name.str(), want.str()));
        });
    if (!data)
      return data.takeError();
    bound[index] = std::move(*data);
    specs[index] = spec;
  }
  llvm::Expected<SizeBindings> known = knownSizes(exe, bound, specs, options);
  if (!known)
    return known.takeError();
  std::vector<TensorData> inputs;
  for (size_t i = 0; i < names.size(); ++i) {
    const TensorType &type = exe.argumentTypes()[i];
    if (bound[i]) {
      inputs.push_back(std::move(*bound[i]));
      continue;
    }
    if (!options.randomSeed)
      return makeError(fmt::format("missing --input for graph argument '{}' "
                                   "({}); pass --input {}=PATH.npy or "
                                   "--random-inputs",
                                   names[i], type.str(), names[i]));
    std::set<std::string> unknown;
    for (int64_t d : type.shape())
      collectSymbols(d, unknown);
    for (const auto &[symbol, value] : *known)
      unknown.erase(symbol);
    if (!unknown.empty())
      return makeError(fmt::format("--random-inputs: argument '{}' is {}; "
                                   "give ?{} a value with --dim {}=N or an "
                                   "--input file",
                                   names[i], type.str(), *unknown.begin(),
                                   *unknown.begin()));
    llvm::Expected<TensorType> concrete = specializeType(type, *known);
    if (!concrete)
      return makeError(fmt::format("--random-inputs: argument '{}': {}",
                                   names[i],
                                   firstMessage(concrete.takeError())));
    llvm::Expected<TensorData> random =
        randomTensor(*concrete, *options.randomSeed, names[i]);
    if (!random)
      return random.takeError();
    inputs.push_back(std::move(*random));
  }
  return inputs;
}

static std::string summarize(llvm::StringRef name, const TensorData &t) {
  double lo = INFINITY, hi = -INFINITY, sum = 0;
  int64_t finite = 0;
  for (int64_t i = 0; i < t.numElements(); ++i) {
    double v = t.get(i);
    if (!std::isfinite(v))
      continue;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    sum += v;
    ++finite;
  }
  std::string stats = finite == 0
                          ? "no finite values"
                          : fmt::format("min={:.6g} max={:.6g} mean={:.6g}", lo,
                                        hi, sum / double(finite));
  if (finite != t.numElements())
    stats += fmt::format(" non-finite={}", t.numElements() - finite);
  return fmt::format("{}: {} {}", terminalText(name), t.type().str(), stats);
}

/// The file an output is written to in --output-dir and read from in
/// --expected-dir: `<name>.npy`, the name unchanged. Names that would not be
/// exactly that file are refused by checkFileNames, never rewritten.
static std::string outputFileName(llvm::StringRef name) {
  return (name + ".npy").str();
}

/// The longest file name of Linux and macOS file systems (NAME_MAX, 255),
/// less the `.tmp-XXXXXX` of the temporary writeOutputFile writes first.
static constexpr size_t kMaxFileNameBytes = 255 - 11;

/// Why `name` cannot be used as a file name in a directory, or "" when it
/// can. Quoted names may hold any byte: a NUL would cut the path short, so
/// names differing after it would share a file; a separator, or a leading
/// '.' (as in `..`), would leave the directory or hide the file; control
/// bytes would reach the terminal of whoever lists the directory.
static std::string unsafeFileNameReason(llvm::StringRef name) {
  if (name.empty())
    return "it is empty";
  if (size_t nul = name.find('\0'); nul != llvm::StringRef::npos)
    return fmt::format("it holds a NUL byte at byte {}", nul);
  if (size_t sep = name.find_first_of("/\\"); sep != llvm::StringRef::npos)
    return fmt::format("it holds '{}'", name[sep]);
  if (name.front() == '.')
    return "it starts with '.'";
  for (char c : name)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return fmt::format("it holds the control byte 0x{:02X}",
                         static_cast<unsigned char>(c));
  if (!isTerminalText(name))
    return "it holds bytes that are not UTF-8 or are C1 controls";
  size_t length = outputFileName(name).size();
  if (length > kMaxFileNameBytes)
    return fmt::format("its file name would be {} bytes long, over the limit "
                       "of {}",
                       length, kMaxFileNameBytes);
  return "";
}

/// Where output `i` is defined, else where it is returned.
static SourceLoc outputLocation(const Graph &g, size_t i) {
  if (i >= g.outputs().size())
    return {};
  const SourceLoc &def = g.tensor(g.outputs()[i]).loc;
  return def.isValid() ? def : g.outputLoc(i);
}

/// Maps every output to its file in the directory given by `flag` before
/// anything is read or written: a name that is not a safe file name is an
/// error, and so (with `distinct`) are two outputs that would write one
/// file, where file names differing only in ASCII case count as one, as
/// they are on the default file systems of macOS and Windows.
static llvm::Error checkFileNames(const Graph &g,
                                  llvm::ArrayRef<std::string> names,
                                  llvm::StringRef flag, bool distinct) {
  std::map<std::string, size_t> owners;
  for (size_t i = 0; i < names.size(); ++i) {
    std::string reason = unsafeFileNameReason(names[i]);
    if (!reason.empty())
      return makeError(fmt::format("output '{}' cannot be used as a file "
                                   "name in {}: {}",
                                   names[i], flag.str(), reason),
                       outputLocation(g, i));
    if (!distinct)
      continue;
    std::string file = outputFileName(names[i]);
    auto [it, fresh] = owners.try_emplace(llvm::StringRef(file).lower(), i);
    if (fresh)
      continue;
    const std::string &first = names[it->second];
    std::string other = outputFileName(first);
    Diagnostic error, note;
    error.loc = outputLocation(g, i);
    // Equal file names come from equal names: an anonymous output is
    // called `%N` by its tensor index, which a quoted name can also be.
    error.message =
        other == file
            ? fmt::format("two outputs would both write '{}' in {}", file,
                          flag.str())
            : fmt::format("outputs '{}' and '{}' would write '{}' and '{}' in "
                          "{}, one file where case is ignored",
                          first, names[i], other, file, flag.str());
    note.severity = Severity::Note;
    note.loc = outputLocation(g, it->second);
    note.message = other == file
                       ? std::string("the first is defined here")
                       : fmt::format("output '{}' is defined here", first);
    std::vector<Diagnostic> diags{std::move(error)};
    if (note.loc.isValid())
      diags.push_back(std::move(note));
    return makeError(std::move(diags));
  }
  return llvm::Error::success();
}

/// Checked before anything runs, so a typo costs no computation.
static llvm::Error checkOutputDir(const Graph &g,
                                  llvm::ArrayRef<std::string> names,
                                  llvm::StringRef dir) {
  if (!llvm::sys::fs::is_directory(dir))
    return makeError(fmt::format("--output-dir '{}' is not an existing "
                                 "directory",
                                 dir.str()));
  return checkFileNames(g, names, "--output-dir", /*distinct=*/true);
}

static llvm::Error writeOutputs(const std::vector<std::string> &names,
                                const std::vector<TensorData> &outputs,
                                llvm::StringRef dir) {
  // Each file is written atomically; a failure part-way removes the files
  // already written so the directory is left as it was.
  std::vector<std::string> written;
  for (size_t i = 0; i < outputs.size(); ++i) {
    llvm::SmallString<256> path(dir);
    llvm::sys::path::append(path, outputFileName(names[i]));
    if (llvm::Error err = writeNpy(path, outputs[i])) {
      for (const std::string &w : written)
        removeOutputFile(w);
      return err;
    }
    written.push_back(path.str().str());
  }
  return llvm::Error::success();
}

static std::string expectedPath(llvm::StringRef dir, llvm::StringRef name) {
  llvm::SmallString<256> path(dir);
  llvm::sys::path::append(path, outputFileName(name));
  return path.str().str();
}

/// Reads `<dir>/<output name>.npy` for every output, checking types, before
/// anything runs: a bad file costs no computation and leaves no outputs.
static llvm::Expected<std::vector<TensorData>>
readExpected(const Executable &exe, llvm::ArrayRef<TensorType> resultTypes,
             llvm::StringRef dir) {
  std::vector<TensorData> expected;
  for (size_t i = 0; i < exe.resultNames().size(); ++i) {
    const std::string &name = exe.resultNames()[i];
    std::string path = expectedPath(dir, name);
    const TensorType &want = resultTypes[i];
    llvm::Expected<TensorData> t =
        readNpy(path, [&](const TensorType &holds) -> llvm::Error {
          if (holds == want)
            return llvm::Error::success();
          return makeError(fmt::format("output '{}' is {} but {} holds {}",
                                       name, want.str(), path, holds.str()));
        });
    if (!t)
      return t.takeError();
    expected.push_back(std::move(*t));
  }
  return expected;
}

static llvm::Error compareWithExpected(const std::vector<std::string> &names,
                                       const std::vector<TensorData> &outputs,
                                       const std::vector<TensorData> &expected,
                                       const RunOptions &options,
                                       llvm::raw_ostream &os) {
  std::vector<Diagnostic> mismatches;
  for (size_t i = 0; i < outputs.size(); ++i) {
    std::string path = expectedPath(options.expectedDir, names[i]);
    Comparison cmp =
        compareTensors(outputs[i], expected[i], options.rtol, options.atol);
    os << terminalText(fmt::format("{}: max |error| vs {} = {:.3g} (rtol {:g}, "
                                   "atol {:g}): {}\n",
                                   names[i], path, cmp.maxAbsError,
                                   options.rtol, options.atol,
                                   cmp.allClose ? "ok" : "MISMATCH"));
    if (!cmp.allClose) {
      Diagnostic d;
      d.message = fmt::format("output '{}' differs from {} at element {} "
                              "(got {}, expected {})",
                              names[i], path, cmp.worstIndex,
                              outputs[i].get(cmp.worstIndex),
                              expected[i].get(cmp.worstIndex));
      mismatches.push_back(std::move(d));
    }
  }
  return mismatches.empty() ? llvm::Error::success()
                            : makeError(std::move(mismatches));
}

std::string BenchResult::line() const {
  // Flops per nanosecond are GFLOP/s. A run below the clock's resolution
  // has a median of 0.
  double gflops = 0;
  if (medianMs > 0)
    gflops = double(flops) / (medianMs * 1e6);
  else if (flops)
    gflops = INFINITY;
  return fmt::format("median_ms={:.6f} min_ms={:.6f} gflops={:.3f} "
                     "compile_ms={:.3f} backend={}",
                     medianMs, minMs, gflops, compileMs, backend);
}

/// Times `runs` runs of `exe`, each on its own (no batching that would hide
/// the spread the median and minimum are there to show).
static llvm::Expected<BenchResult>
timeRuns(Executable &exe, llvm::ArrayRef<const TensorData *> inputs,
         llvm::ArrayRef<TensorData *> outputs, unsigned runs) {
  using Clock = std::chrono::steady_clock;
  std::vector<double> ms;
  ms.reserve(runs);
  for (unsigned i = 0; i < runs; ++i) {
    Clock::time_point start = Clock::now();
    if (llvm::Error err = exe.run(inputs, outputs))
      return std::move(err);
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start)
                     .count());
  }
  std::sort(ms.begin(), ms.end());
  BenchResult result;
  size_t mid = ms.size() / 2;
  result.medianMs = ms.size() % 2 ? ms[mid] : (ms[mid - 1] + ms[mid]) / 2;
  result.minMs = ms.front();
  return result;
}

/// Every --dim names a symbol of the graph.
static llvm::Error checkDims(const Graph &g, const RunOptions &options) {
  std::set<std::string> symbols = graphSymbols(g);
  for (const auto &[name, value] : options.dims) {
    if (symbols.count(name))
      continue;
    if (symbols.empty())
      return makeError(fmt::format("--dim {}={}: every size of the graph is "
                                   "static",
                                   name, value));
    std::vector<std::string> known;
    for (const std::string &s : symbols)
      known.push_back("?" + s);
    return makeError(fmt::format("--dim {}={}: the graph has no size ?{}; its "
                                 "sizes known only at run time are {}",
                                 name, value, name, llvm::join(known, ", ")));
  }
  return llvm::Error::success();
}

/// The flops of a run with `sizes` (ir/FlopCount.h).
static llvm::Expected<uint64_t> runFlops(const Graph &g,
                                         const SizeBindings &sizes) {
  if (sizes.empty())
    return contractionFlops(g);
  llvm::Expected<Graph> concrete = specializeGraph(g, sizes);
  if (!concrete)
    return concrete.takeError();
  return contractionFlops(*concrete);
}

llvm::Error runGraph(const Graph &g, const RunOptions &options,
                     llvm::raw_ostream &os, BenchResult *bench) {
  assert((!options.benchRuns || bench) && "benchRuns needs a BenchResult");
  if (llvm::Error err = checkDims(g, options))
    return err;
  uint64_t flops = 0;
  // Counted first: a graph whose count overflows costs no compilation.
  if (options.benchRuns && graphSymbols(g).empty()) {
    llvm::Expected<uint64_t> counted = contractionFlops(g);
    if (!counted)
      return counted.takeError();
    flops = *counted;
  }
  llvm::Expected<std::unique_ptr<Backend>> backend =
      createBackend(options.backend);
  if (!backend)
    return backend.takeError();
  auto compileStart = std::chrono::steady_clock::now();
  llvm::Expected<std::unique_ptr<Executable>> exe =
      (*backend)->compile(g, options.compile);
  if (!exe)
    return exe.takeError();
  std::chrono::duration<double, std::milli> compileTime =
      std::chrono::steady_clock::now() - compileStart;
  std::vector<std::string> names((*exe)->resultNames().begin(),
                                 (*exe)->resultNames().end());
  if (!options.outputDir.empty())
    if (llvm::Error err = checkOutputDir(g, names, options.outputDir))
      return err;
  if (!options.expectedDir.empty())
    if (llvm::Error err = checkFileNames(g, names, "--expected-dir",
                                         /*distinct=*/false))
      return err;
  llvm::Expected<std::vector<TensorData>> inputs = bindInputs(**exe, options);
  if (!inputs)
    return inputs.takeError();
  std::vector<TensorType> inputTypes;
  for (const TensorData &t : *inputs)
    inputTypes.push_back(t.type());
  // The sizes this run has, and so its outputs' types.
  llvm::Expected<SizeBindings> sizes = (*exe)->bindInputs(inputTypes);
  if (!sizes)
    return sizes.takeError();
  llvm::Expected<std::vector<TensorType>> resultTypes =
      (*exe)->resultTypesFor(inputTypes);
  if (!resultTypes)
    return resultTypes.takeError();
  if (options.benchRuns && !sizes->empty()) {
    llvm::Expected<uint64_t> counted = runFlops(g, *sizes);
    if (!counted)
      return counted.takeError();
    flops = *counted;
  }
  std::vector<TensorData> expected;
  if (!options.expectedDir.empty()) {
    llvm::Expected<std::vector<TensorData>> read =
        readExpected(**exe, *resultTypes, options.expectedDir);
    if (!read)
      return read.takeError();
    expected = std::move(*read);
  }
  std::vector<const TensorData *> inputPtrs;
  for (const TensorData &t : *inputs)
    inputPtrs.push_back(&t);
  std::vector<TensorData> outputs;
  for (const TensorType &t : *resultTypes) {
    llvm::Expected<TensorData> out = TensorData::allocate(t);
    if (!out)
      return out.takeError();
    outputs.push_back(std::move(*out));
  }
  std::vector<TensorData *> outputPtrs;
  for (TensorData &t : outputs)
    outputPtrs.push_back(&t);
  // With --bench this run is the warm-up.
  if (llvm::Error err = (*exe)->run(inputPtrs, outputPtrs))
    return err;
  if (options.benchRuns) {
    llvm::Expected<BenchResult> timed =
        timeRuns(**exe, inputPtrs, outputPtrs, options.benchRuns);
    if (!timed)
      return timed.takeError();
    *bench = *timed;
    bench->flops = flops;
    bench->compileMs = compileTime.count();
    bench->backend = options.backend;
    if (std::string how = (*exe)->describe(); !how.empty())
      os << "compiled: " << how << '\n';
  }
  if (!options.outputDir.empty())
    if (llvm::Error err = writeOutputs(names, outputs, options.outputDir))
      return err;
  os << "backend=" << options.backend << '\n';
  if (!sizes->empty()) {
    std::string line = "sizes:";
    for (const auto &[symbol, value] : *sizes)
      line += fmt::format(" ?{}={}", symbol, value);
    os << line << '\n';
  }
  for (size_t i = 0; i < outputs.size(); ++i)
    os << summarize(names[i], outputs[i]) << '\n';
  if (!options.expectedDir.empty())
    return compareWithExpected(names, outputs, expected, options, os);
  return llvm::Error::success();
}

} // namespace einsum
