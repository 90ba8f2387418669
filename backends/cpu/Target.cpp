//===- Target.cpp - The machine the cpu backend generates code for --------===//
#include "backends/cpu/Target.h"
#include "backends/cpu/Jit.h"
#include "backends/cpu/KernelShapes.h"

#include "ir/Diagnostic.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/TargetParser/Host.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>

// The OpenMP runtime the parallel loops call (libomp). Asking it for the
// core count also keeps it linked: the JIT finds its entry points among the
// process's symbols.
extern "C" int omp_get_num_procs(void);

namespace einsum::cpu {

namespace {

/// The host's target is all most compiles need; the others register
/// only when a spec names a triple.
void initializeTargets(bool all) {
  static std::once_flag native, every;
  std::call_once(native, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
  if (all)
    std::call_once(every, [] {
      llvm::InitializeAllTargetInfos();
      llvm::InitializeAllTargets();
      llvm::InitializeAllTargetMCs();
      llvm::InitializeAllAsmPrinters();
    });
}

/// Whether `sti` has the feature called `name` (false for a name its
/// target does not know).
bool hasFeature(const llvm::MCSubtargetInfo &sti, llvm::StringRef name) {
  for (const llvm::SubtargetFeatureKV &kv : sti.getAllProcessorFeatures())
    if (name == kv.Key)
      return sti.getFeatureBits().test(kv.Value);
  return false;
}

/// The generic subtarget of `triple`, to check names against (one made
/// for an unknown CPU would print a warning of its own).
std::unique_ptr<llvm::MCSubtargetInfo> subtarget(const llvm::Target &target,
                                                 const std::string &triple) {
  return std::unique_ptr<llvm::MCSubtargetInfo>(
      target.createMCSubtargetInfo(triple, "", ""));
}

/// "aarch64, riscv64, x86-64": the registered architectures.
std::string knownArchitectures() {
  std::vector<std::string> names;
  for (const llvm::Target &t : llvm::TargetRegistry::targets())
    names.push_back(t.getName());
  std::sort(names.begin(), names.end());
  return llvm::join(names, ", ");
}

/// An error unless the machine `builder` describes has what every kernel
/// needs: 64-bit mode and SSE2 on x86, floating point and NEON on AArch64
/// (without them LLVM cannot lower the kernels' float arithmetic).
llvm::Error checkBaseline(const llvm::Target &target,
                          const llvm::orc::JITTargetMachineBuilder &builder,
                          const std::string &changes) {
  const llvm::Triple &triple = builder.getTargetTriple();
  std::unique_ptr<llvm::MCSubtargetInfo> sti(target.createMCSubtargetInfo(
      triple.str(), builder.getCPU(), builder.getFeatures().getString()));
  std::vector<llvm::StringRef> needed;
  if (triple.isX86())
    needed = {"64bit", "sse2"};
  else
    needed = {"fp-armv8", "neon"};
  for (llvm::StringRef feature : needed)
    if (!hasFeature(*sti, feature))
      return makeError(fmt::format(
          "the cpu backend's kernels need feature '{}', which CPU '{}' of {}{} "
          "lacks",
          feature.str(), builder.getCPU(), triple.str(),
          changes.empty() ? "" : " with '" + changes + "'"));
  return llvm::Error::success();
}

/// Whether LLVM may emit instructions of `feature` for the kernels, which
/// call no intrinsics of their own. On x86, CPUs also carry system
/// extensions (pku, mwaitx, rdpru, waitpkg...) that code generation never
/// uses: a Zen 3's code runs on a Zen 4 that lacks one of those.
bool generatedCodeMayUse(const llvm::Triple &triple, llvm::StringRef feature) {
  if (!triple.isX86())
    return true;
  static const char *const computational[] = {
      "sse",   "ssse3", "avx",  "fma",  "f16c", "bmi", "lzcnt", "popcnt",
      "movbe", "cmov",  "cx16", "gfni", "xop",  "tbm", "sahf",  "evex512"};
  for (const char *prefix : computational)
    if (feature.starts_with(prefix))
      return true;
  return false;
}

} // namespace

llvm::Expected<llvm::orc::JITTargetMachineBuilder>
targetBuilder(const TargetOptions &spec) {
  initializeTargets(!spec.triple.empty());
  if (spec.isHost()) {
    llvm::Expected<llvm::orc::JITTargetMachineBuilder> host =
        llvm::orc::JITTargetMachineBuilder::detectHost();
    if (host)
      host->setCodeGenOptLevel(kCodeGenOptLevel);
    return host;
  }
  std::string hostTriple = llvm::sys::getProcessTriple();
  std::string triple =
      llvm::Triple::normalize(spec.triple.empty() ? hostTriple : spec.triple);
  std::string error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return makeError(fmt::format("unknown target triple '{}'; this LLVM "
                                 "knows the architectures {}",
                                 spec.triple, knownArchitectures()));
  // The C interface and the kernels' index arithmetic are 64-bit, and the
  // kernels' floating point needs the vector unit every x86-64 and AArch64
  // machine has; code generation for other architectures is not tested.
  llvm::Triple parsed(triple);
  if (parsed.getArch() != llvm::Triple::x86_64 &&
      parsed.getArch() != llvm::Triple::aarch64)
    return makeError(fmt::format("the cpu backend generates code for "
                                 "x86_64 and aarch64 (little-endian) only, "
                                 "not for {}",
                                 triple));
  bool sameMachine = spec.triple.empty() && spec.cpu.empty();
  std::string cpu = !spec.cpu.empty()     ? spec.cpu
                    : spec.triple.empty() ? llvm::sys::getHostCPUName().str()
                                          : "generic";
  std::unique_ptr<llvm::MCSubtargetInfo> sti = subtarget(*target, triple);
  if (!sti || !sti->isCPUStringValid(cpu))
    return makeError(fmt::format("unknown CPU '{}' for target {} (`llc-19 "
                                 "-mtriple={} -mcpu=help` lists them)",
                                 cpu, triple, triple));
  llvm::orc::JITTargetMachineBuilder builder{llvm::Triple(triple)};
  builder.setCPU(cpu);
  builder.setCodeGenOptLevel(kCodeGenOptLevel);
  // Only --mattr: the host's CPU with all its features, then the changes.
  if (sameMachine) {
    llvm::StringMap<bool> host = llvm::sys::getHostCPUFeatures();
    std::vector<std::string> names;
    for (const auto &f : host)
      names.push_back((f.second ? "+" : "-") + f.first().str());
    // The map's order is not deterministic; the features are.
    std::sort(names.begin(), names.end());
    builder.addFeatures(names);
  }
  llvm::SmallVector<llvm::StringRef> changes;
  llvm::StringRef(spec.features).split(changes, ',', -1, false);
  std::vector<std::string> added;
  for (llvm::StringRef f : changes) {
    f = f.trim();
    bool known = false;
    if (f.size() > 1 && (f[0] == '+' || f[0] == '-'))
      for (const llvm::SubtargetFeatureKV &kv : sti->getAllProcessorFeatures())
        known |= f.drop_front() == kv.Key;
    if (!known)
      return makeError(fmt::format("'{}' is not a feature of target {}: "
                                   "write +name or -name, as in +avx2 or "
                                   "-avx512f",
                                   f.str(), triple));
    added.push_back(f.str());
  }
  builder.addFeatures(added);
  if (llvm::Error err = checkBaseline(*target, builder, spec.features))
    return err;
  return builder;
}

llvm::Error checkRunsOnHost(const TargetOptions &spec) {
  if (spec.isHost())
    return llvm::Error::success();
  llvm::Expected<llvm::orc::JITTargetMachineBuilder> builder =
      targetBuilder(spec);
  if (!builder)
    return builder.takeError();
  llvm::Triple host(llvm::sys::getProcessTriple());
  const llvm::Triple &target = builder->getTargetTriple();
  if (target.getArch() != host.getArch() || target.getOS() != host.getOS())
    return makeError(fmt::format(
        "code for {} does not run on this host ({}): another {}; compile it "
        "ahead of time with --emit",
        target.str(), host.str(),
        target.getArch() != host.getArch() ? "architecture"
                                           : "operating system"));
  llvm::Expected<std::unique_ptr<llvm::TargetMachine>> tm =
      createTargetMachine(*builder);
  if (!tm)
    return tm.takeError();
  const llvm::MCSubtargetInfo &sti = *(*tm)->getMCSubtargetInfo();
  llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
  std::vector<std::string> missing;
  for (const llvm::SubtargetFeatureKV &kv : sti.getAllProcessorFeatures()) {
    auto it = features.find(kv.Key);
    if (it != features.end() && !it->second &&
        sti.getFeatureBits().test(kv.Value) &&
        generatedCodeMayUse(target, kv.Key))
      missing.push_back(kv.Key);
  }
  if (missing.empty())
    return llvm::Error::success();
  std::sort(missing.begin(), missing.end());
  return makeError(fmt::format("code for CPU '{}' uses {}, which this host "
                               "lacks; compile it ahead of time with --emit",
                               (*tm)->getTargetCPU().str(),
                               llvm::join(missing, ", ")));
}

llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
createTargetMachine(llvm::orc::JITTargetMachineBuilder &builder) {
  llvm::Expected<std::unique_ptr<llvm::TargetMachine>> tm =
      builder.createTargetMachine();
  if (!tm)
    return makeError("cpu backend: cannot create a target machine for " +
                     builder.getTargetTriple().str() + ": " +
                     llvm::toString(tm.takeError()));
  return tm;
}

KernelOptions kernelOptionsFor(const llvm::TargetMachine &tm,
                               unsigned threads) {
  KernelOptions options;
  const llvm::MCSubtargetInfo &sti = *tm.getMCSubtargetInfo();
  const llvm::Triple &triple = tm.getTargetTriple();
  if (triple.isX86()) {
    if (hasFeature(sti, "avx512f")) {
      options.vectorBits = 512;
      options.vectorRegisters = 32;
    } else if (hasFeature(sti, "avx2") && hasFeature(sti, "fma")) {
      options.vectorBits = 256;
    }
  } else if (triple.isAArch64()) {
    // NEON: 32 registers of 128 bits.
    options.vectorRegisters = 32;
  }
  // For tests and tuning: the kernels shaped for a narrower machine (LLVM
  // still emits the target's instructions for them).
  if (const char *bits = std::getenv("EG_CPU_VECTOR_BITS")) {
    llvm::StringRef text(bits);
    if (text == "128" || text == "256" || text == "512") {
      options.vectorBits = unsigned(std::stoi(bits));
      options.vectorRegisters = options.vectorBits == 512 ? 32 : 16;
    }
  }
  options.bf16Dot = triple.isX86() && options.vectorBits == 512 &&
                    hasFeature(sti, "avx512bf16");
  options.threads =
      threads ? threads : unsigned(std::max(1, omp_get_num_procs()));
  modelShapes(options);
  return options;
}

llvm::Expected<ResolvedTarget> resolveTarget(const TargetOptions &spec,
                                             unsigned threads) {
  llvm::Expected<llvm::orc::JITTargetMachineBuilder> builder =
      targetBuilder(spec);
  if (!builder)
    return builder.takeError();
  llvm::Expected<std::unique_ptr<llvm::TargetMachine>> machine =
      createTargetMachine(*builder);
  if (!machine)
    return machine.takeError();
  KernelOptions kernels = kernelOptionsFor(**machine, threads);
  return ResolvedTarget{std::move(*builder), std::move(*machine), kernels};
}

std::string describeTarget(const ResolvedTarget &target,
                           const TargetOptions &spec) {
  const llvm::TargetMachine &tm = *target.machine;
  std::string text = fmt::format("{}, CPU {}", tm.getTargetTriple().str(),
                                 tm.getTargetCPU().str());
  if (!spec.features.empty())
    text += ", features " + spec.features;
  return text + fmt::format(", {}-bit vectors x {}{}",
                            target.kernels.vectorBits,
                            target.kernels.vectorRegisters,
                            target.kernels.bf16Dot ? ", vdpbf16ps" : "");
}

std::string describeCompile(const ResolvedTarget &target,
                            const TargetOptions &spec) {
  const KernelOptions &k = target.kernels;
  auto source = [](bool measured) { return measured ? "measured" : "model"; };
  return fmt::format("{}; flash {} ({}); gemm {} ({})",
                     describeTarget(target, spec), describe(k.flash),
                     source(k.flashMeasured), describe(k.gemm),
                     source(k.gemmMeasured));
}

} // namespace einsum::cpu
