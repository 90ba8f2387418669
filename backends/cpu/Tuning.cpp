//===- Tuning.cpp - Kernel shapes measured on the host --------------------===//
//
// A record per (kernel family, element type, target key) holds the shape
// that won, as text, plus each candidate's time relative to the winner's.
// Measuring:
// 1. the candidates: the model's shape first, then the next register tiles
//    of the model's ranking (and, for the product, a deeper depth block);
// 2. each compiled for one thread, two compiles at a time;
// 3. run once to warm up, then in rounds, each round in a rotated order so
//    that a slow spell of the machine does not land on one candidate; each
//    candidate's best time counts;
// 4. the model's shape stays unless another is more than 3 % faster: the
//    measurement of a shared machine moves by about that much.
//
//===----------------------------------------------------------------------===//
#include "backends/cpu/Tuning.h"
#include "backends/cpu/KernelShapes.h"

#include "ir/Builder.h"
#include "ir/FusedNode.h"
#include "ir/OutputFile.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/TargetParser/Host.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>

namespace einsum::cpu {

namespace {

constexpr llvm::StringLiteral kHeader =
    "# einsum-graph: kernel shapes the cpu backend measured on this "
    "machine (docs/cpu-backend.md).\n# Delete the file, or run with "
    "EG_CPU_TUNING=reset, to measure again.\n";

/// Rounds of timed runs per candidate.
constexpr int kRounds = 5;
/// Another shape replaces the model's only if it is this much faster.
constexpr double kMargin = 1.03;

KernelTuning effectiveMode(KernelTuning mode) {
  if (mode != KernelTuning::Default)
    return mode;
  const char *env = std::getenv("EG_CPU_TUNING");
  llvm::StringRef text = env ? env : "";
  if (text == "off" || text == "0")
    return KernelTuning::Off;
  if (text == "reset")
    return KernelTuning::Reset;
  return KernelTuning::Measure;
}

/// What the processor calls itself: Linux's "model name" (x86) or
/// implementer and part (ARM), else LLVM's name for the host CPU.
std::string processorName() {
  static const std::string name = [] {
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::string line, implementer, part;
    while (std::getline(cpuinfo, line)) {
      auto [key, value] = llvm::StringRef(line).split(':');
      key = key.trim();
      value = value.trim();
      if (key == "model name" && !value.empty())
        return value.str();
      if (key == "CPU implementer" && implementer.empty())
        implementer = value.str();
      if (key == "CPU part" && part.empty())
        part = value.str();
    }
    if (!implementer.empty())
      return "arm " + implementer + " " + part;
    return llvm::sys::getHostCPUName().str();
  }();
  return name;
}

/// The tab- and newline-free key of a target measured on this machine.
std::string targetKey(const ResolvedTarget &target, const TargetOptions &spec) {
  std::string key = fmt::format(
      "{}|{}|{}|{}x{}", processorName(), target.machine->getTargetCPU().str(),
      spec.features, target.kernels.vectorBits, target.kernels.vectorRegisters);
  std::replace_if(
      key.begin(), key.end(), [](char c) { return c == '\t' || c == '\n'; },
      ' ');
  return key;
}

std::string formatShape(const FlashShape &s) {
  return fmt::format("rows={} cols={} step={} group={}", s.tile.rows,
                     s.tile.cols, s.stepTiles, s.groupBlocks);
}
std::string formatShape(const GemmShape &s) {
  return fmt::format("rows={} cols={} depth={} panel={}", s.tile.rows,
                     s.tile.cols, s.depthBlock, s.panelBytes);
}

/// "a=1 b=2" into the named fields; false unless every field is there
/// once, a number in [1, 2^30].
bool parseFields(
    llvm::StringRef text,
    std::initializer_list<std::pair<const char *, int64_t *>> fields) {
  std::map<std::string, int64_t> values;
  llvm::SmallVector<llvm::StringRef> words;
  text.split(words, ' ', -1, false);
  for (llvm::StringRef word : words) {
    auto [name, number] = word.split('=');
    int64_t v;
    if (number.getAsInteger(10, v) || v < 1 || v > (int64_t(1) << 30) ||
        !values.emplace(name.str(), v).second)
      return false;
  }
  if (values.size() != fields.size())
    return false;
  for (auto [name, field] : fields) {
    auto it = values.find(name);
    if (it == values.end())
      return false;
    *field = it->second;
  }
  return true;
}

/// A record is read back only if its tile fits the registers and its
/// blocking is in reason: a file edited by hand, or damaged, must not make
/// a compile unroll a huge tile.
bool tileFits(const TileShape &t, unsigned registers) {
  return t.rows * t.cols <= int64_t(registers);
}

bool parseShape(llvm::StringRef text, unsigned registers, FlashShape &s) {
  return parseFields(text, {{"rows", &s.tile.rows},
                            {"cols", &s.tile.cols},
                            {"step", &s.stepTiles},
                            {"group", &s.groupBlocks}}) &&
         tileFits(s.tile, registers) && s.stepTiles <= 256 &&
         s.groupBlocks <= 64;
}
bool parseShape(llvm::StringRef text, unsigned registers, GemmShape &s) {
  return parseFields(text, {{"rows", &s.tile.rows},
                            {"cols", &s.tile.cols},
                            {"depth", &s.depthBlock},
                            {"panel", &s.panelBytes}}) &&
         tileFits(s.tile, registers) && s.depthBlock <= 8192 &&
         s.panelBytes >= 4096 && s.panelBytes <= (int64_t(64) << 20);
}

/// The records, read from the file once per process and written back
/// whole (with what other processes added since) after each measurement.
class Store {
public:
  std::mutex mutex;

  /// The record of `key`, or empty.
  std::string lookup(const std::string &key) {
    load();
    auto it = records.find(key);
    return it == records.end() ? std::string() : it->second.first;
  }
  void keep(const std::string &key, std::string shape, std::string times) {
    load();
    records[key] = {std::move(shape), std::move(times)};
    save();
  }
  /// Keys reset in this process (KernelTuning::Reset measures once).
  std::set<std::string> reset;
  /// Forgets the record of `key` the first time it is asked to in this
  /// process, so that it is measured again once.
  void resetOnce(const std::string &key) {
    load();
    if (reset.insert(key).second)
      records.erase(key);
  }

private:
  /// Once per process and cache file (tests point EG_CPU_TUNING_CACHE at
  /// files of their own).
  void load() {
    std::string path = tuningCachePath();
    if (loaded && path == loadedPath)
      return;
    loaded = true;
    loadedPath = path;
    records.clear();
    reset.clear();
    read(records);
  }

  /// Reads the records of the file into `into`; false if the path is not
  /// ours to write: something other than a regular file (a FIFO would
  /// block, a device is not a cache), or a file that does not start with
  /// our header (someone else's, which is left alone).
  static bool
  read(std::map<std::string, std::pair<std::string, std::string>> &into) {
    std::string path = tuningCachePath();
    if (path.empty())
      return false;
    llvm::sys::fs::file_status status;
    if (llvm::sys::fs::status(path, status))
      return !llvm::sys::fs::exists(path);
    if (status.type() != llvm::sys::fs::file_type::regular_file ||
        status.getSize() > (1 << 20))
      return false;
    llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> file =
        llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
    if (!file)
      return false;
    llvm::StringRef text = (*file)->getBuffer();
    if (!text.empty() && !text.starts_with(kHeader.take_front(24)))
      return false;
    llvm::SmallVector<llvm::StringRef> lines;
    text.split(lines, '\n', -1, false);
    for (llvm::StringRef line : lines) {
      if (line.starts_with("#"))
        continue;
      llvm::SmallVector<llvm::StringRef> fields;
      line.split(fields, '\t');
      if (fields.size() < 4)
        continue;
      std::string key = (fields[0] + "\t" + fields[1] + "\t" + fields[2]).str();
      into.emplace(key, std::make_pair(fields[3].str(), fields.size() > 4
                                                            ? fields[4].str()
                                                            : std::string()));
    }
    return true;
  }

  void save() {
    std::string path = tuningCachePath();
    if (path.empty())
      return;
    // Another process may have measured other targets meanwhile.
    std::map<std::string, std::pair<std::string, std::string>> onDisk;
    if (!read(onDisk))
      return;
    for (auto &[key, value] : onDisk)
      records.emplace(key, value);
    std::string text = kHeader.str();
    for (const auto &[key, value] : records)
      text += key + "\t" + value.first + "\t" + value.second + "\n";
    llvm::sys::fs::create_directories(llvm::sys::path::parent_path(path));
    // Caching is an optimization: a file that cannot be written (a
    // directory in the way, no permission) is passed over.
    llvm::consumeError(writeOutputFile(path, text));
  }

  bool loaded = false;
  std::string loadedPath;
  std::map<std::string, std::pair<std::string, std::string>> records;
};

Store &store() {
  static Store s;
  return s;
}

/// Random inputs in [-1, 1], the same every time.
std::vector<TensorData> probeInputs(const Graph &g) {
  std::mt19937 gen(7);
  std::uniform_real_distribution<double> dist(-1, 1);
  std::vector<TensorData> inputs;
  for (TensorId id : g.arguments()) {
    TensorData t(g.type(id));
    for (int64_t i = 0; i < t.numElements(); ++i)
      t.set(i, dist(gen));
    inputs.push_back(std::move(t));
  }
  return inputs;
}

/// ALiBi attention, 4 heads of 512 queries and keys, head dimension 64:
/// about 270 MFLOP, a few milliseconds on one core.
Graph flashProbe() {
  Graph g("flash_probe");
  Builder b(g);
  TensorType qkv = TensorType::f32({1, 4, 512, 64});
  TensorId q = b.input("q", qkv), k = b.input("k", qkv), v = b.input("v", qkv);
  TensorId slopes = b.input("slopes", TensorType::f32({4}));
  Epilogue e =
      llvm::cantFail(parseEpilogue("acc * 0.125 - $0[h] * abs(i - j)"));
  b.output(b.op(OpKind::Attention, {q, k, v, slopes},
                {{"score_epilogue", Attribute::ofEpilogue(std::move(e))}},
                "out"));
  llvm::cantFail(b.takeError());
  return g;
}

/// A 512 x 1024 by 1024 x 512 product: several depth blocks and column
/// parts, about 540 MFLOP.
Graph gemmProbe() {
  Graph g("gemm_probe");
  Builder b(g);
  TensorId x = b.input("x", TensorType::f32({512, 1024}));
  TensorId w = b.input("w", TensorType::f32({1024, 512}));
  b.output(b.einsum("ij,jk->ik", {x, w}, "y"));
  llvm::cantFail(b.takeError());
  return g;
}

/// Each candidate's best time in seconds (infinity for one that did not
/// compile or run), in candidate order.
std::vector<double>
timeCandidates(const Graph &g, const TargetOptions &spec, size_t count,
               llvm::function_ref<void(KernelOptions &, size_t)> shape) {
  std::vector<std::unique_ptr<Executable>> exes(count);
  CompileOptions options;
  options.threads = 1;
  options.target = spec;
  options.tuning = KernelTuning::Off;
  auto compileOne = [&](size_t i) {
    llvm::Expected<ResolvedTarget> target = resolveTarget(spec, 1);
    if (!target) {
      llvm::consumeError(target.takeError());
      return;
    }
    shape(target->kernels, i);
    llvm::Expected<std::unique_ptr<Executable>> exe =
        compileWithShapes(g, options, std::move(*target), "");
    if (exe)
      exes[i] = std::move(*exe);
    else
      llvm::consumeError(exe.takeError());
  };
  // Compiles are independent and most of the time; they share the cores.
  unsigned width =
      std::max(1u, std::min(2u, std::thread::hardware_concurrency()));
  for (size_t first = 0; first < count; first += width) {
    std::vector<std::thread> workers;
    for (size_t i = first; i < std::min(count, first + width); ++i)
      workers.emplace_back(compileOne, i);
    for (std::thread &w : workers)
      w.join();
  }

  std::vector<TensorData> inputs = probeInputs(g);
  std::vector<const TensorData *> in;
  for (const TensorData &t : inputs)
    in.push_back(&t);
  std::vector<TensorData> outputs;
  for (TensorId id : g.outputs())
    outputs.emplace_back(g.type(id));
  std::vector<TensorData *> out;
  for (TensorData &t : outputs)
    out.push_back(&t);

  std::vector<double> best(count, std::numeric_limits<double>::infinity());
  auto runOne = [&](size_t i) {
    if (!exes[i])
      return;
    auto start = std::chrono::steady_clock::now();
    if (llvm::Error err = exes[i]->run(in, out)) {
      llvm::consumeError(std::move(err));
      exes[i].reset();
      best[i] = std::numeric_limits<double>::infinity();
      return;
    }
    std::chrono::duration<double> took =
        std::chrono::steady_clock::now() - start;
    best[i] = std::min(best[i], took.count());
  };
  for (size_t i = 0; i < count; ++i)
    runOne(i);
  std::fill(best.begin(), best.end(), std::numeric_limits<double>::infinity());
  for (int round = 0; round < kRounds; ++round)
    for (size_t j = 0; j < count; ++j)
      runOne((j + round) % count);
  return best;
}

/// The candidate to keep: the fastest, unless the model's (the first) is
/// within kMargin of it.
size_t pick(llvm::ArrayRef<double> times) {
  size_t best = 0;
  for (size_t i = 1; i < times.size(); ++i)
    if (times[i] < times[best])
      best = i;
  return times[0] <= times[best] * kMargin ? 0 : best;
}

/// "6x4 1.000, 4x6 1.052": each candidate's time over the winner's.
template <typename Shape>
std::string relativeTimes(llvm::ArrayRef<Shape> candidates,
                          llvm::ArrayRef<double> times, size_t winner) {
  std::vector<std::string> parts;
  for (size_t i = 0; i < candidates.size(); ++i)
    parts.push_back(fmt::format("{} {:.3f}", describe(candidates[i]),
                                times[i] / times[winner]));
  return llvm::join(parts, ", ");
}

std::vector<FlashShape> flashCandidates(const KernelOptions &model) {
  std::vector<FlashShape> out = {model.flash};
  for (const TileShape &tile : registerTiles(model.vectorRegisters)) {
    if (out.size() == 3)
      break;
    if (tile == model.flash.tile)
      continue;
    FlashShape s = model.flash;
    s.tile = tile;
    out.push_back(s);
  }
  return out;
}

std::vector<GemmShape> gemmCandidates(const KernelOptions &model) {
  std::vector<GemmShape> out = {model.gemm};
  GemmShape deeper = model.gemm;
  deeper.depthBlock *= 2;
  out.push_back(deeper);
  for (const TileShape &tile : registerTiles(model.vectorRegisters))
    if (!(tile == model.gemm.tile)) {
      GemmShape s = model.gemm;
      s.tile = tile;
      out.push_back(s);
      break;
    }
  return out;
}

/// The record of `key`, measured now if there is none; nothing if no
/// candidate ran.
template <typename Shape>
std::optional<Shape> recordedOrMeasured(
    const std::string &key, unsigned registers, const Graph &probe,
    const TargetOptions &spec, llvm::ArrayRef<Shape> candidates,
    llvm::function_ref<void(KernelOptions &, const Shape &)> set) {
  Shape shape;
  std::string text = store().lookup(key);
  if (!text.empty() && parseShape(text, registers, shape))
    return shape;
  std::vector<double> times = timeCandidates(
      probe, spec, candidates.size(),
      [&](KernelOptions &o, size_t i) { set(o, candidates[i]); });
  if (times.empty() || !std::isfinite(times[0]))
    return std::nullopt;
  size_t winner = pick(times);
  store().keep(key, formatShape(candidates[winner]),
               relativeTimes(candidates, times, winner));
  return candidates[winner];
}

} // namespace

std::string tuningCachePath() {
  if (const char *path = std::getenv("EG_CPU_TUNING_CACHE"))
    return path;
  llvm::SmallString<256> path;
  if (const char *xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
    path = xdg;
  else if (const char *home = std::getenv("HOME"); home && *home)
    llvm::sys::path::append(path, home, ".cache");
  else
    return {};
  llvm::sys::path::append(path, "einsum-graph", "cpu-kernels.tsv");
  return std::string(path);
}

void applyTuning(const Graph &g, const TargetOptions &spec,
                 ResolvedTarget &target, KernelTuning mode) {
  mode = effectiveMode(mode);
  if (mode == KernelTuning::Off)
    return;
  if (llvm::Error err = checkRunsOnHost(spec)) {
    llvm::consumeError(std::move(err));
    return;
  }
  bool flash = false, gemm = false;
  for (NodeId id : g.liveNodes()) {
    OpKind kind = g.node(id).op;
    flash |= kind == OpKind::Attention;
    gemm |= kind == OpKind::Einsum || kind == OpKind::Contraction;
  }
  if (!flash && !gemm)
    return;
  KernelOptions &o = target.kernels;
  std::string key = targetKey(target, spec);
  std::lock_guard<std::mutex> lock(store().mutex);
  auto prepare = [&](const std::string &family) {
    std::string full = family + "\tf32\t" + key;
    if (mode == KernelTuning::Reset)
      store().resetOnce(full);
    return full;
  };
  if (flash) {
    std::vector<FlashShape> candidates = flashCandidates(o);
    if (std::optional<FlashShape> s = recordedOrMeasured<FlashShape>(
            prepare("flash"), o.vectorRegisters, flashProbe(), spec, candidates,
            [](KernelOptions &k, const FlashShape &s) { k.flash = s; })) {
      o.flash = *s;
      o.flashMeasured = true;
    }
  }
  if (gemm) {
    std::vector<GemmShape> candidates = gemmCandidates(o);
    if (std::optional<GemmShape> s = recordedOrMeasured<GemmShape>(
            prepare("gemm"), o.vectorRegisters, gemmProbe(), spec, candidates,
            [](KernelOptions &k, const GemmShape &s) { k.gemm = s; })) {
      o.gemm = *s;
      o.gemmMeasured = true;
    }
  }
}

} // namespace einsum::cpu
