//===- KernelOptions.cpp - Host vector shape and work loops ---------------===//
//
// The vector width comes from the features of the CPU compiling (the JIT
// runs where it compiles), never from a constant: AVX-512 machines get
// 512-bit tiles, AVX2 ones 256, anything else 128 (which LLVM legalises to
// whatever the target has, down to scalars).
//
//===----------------------------------------------------------------------===//
#include "backends/cpu/Lowering.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/TargetParser/Host.h"

#include <cstdlib>
#include <string>

using namespace mlir;

// The OpenMP runtime the parallel loops call (libomp). Asking it for the
// core count also keeps it linked: the JIT finds its entry points among the
// process's symbols.
extern "C" int omp_get_num_procs(void);

namespace einsum::cpu {

KernelOptions hostKernelOptions(unsigned threads) {
  KernelOptions options;
  llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
  if (features.lookup("avx512f")) {
    options.vectorBits = 512;
    options.vectorRegisters = 32;
  } else if (features.lookup("avx2") && features.lookup("fma")) {
    options.vectorBits = 256;
  }
  // For tests and tuning: the kernels shaped for a narrower machine (LLVM
  // still emits the host's instructions for them).
  if (const char *bits = std::getenv("EG_CPU_VECTOR_BITS")) {
    llvm::StringRef text(bits);
    if (text == "128" || text == "256" || text == "512") {
      options.vectorBits = unsigned(std::stoi(bits));
      options.vectorRegisters = options.vectorBits == 512 ? 32 : 16;
    }
  }
  options.threads =
      threads ? threads : unsigned(std::max(1, omp_get_num_procs()));
  return options;
}

Value splatConstant(OpBuilder &b, Location loc, Type type, double value) {
  if (auto vt = dyn_cast<VectorType>(type))
    return b.create<arith::ConstantOp>(
        loc,
        DenseElementsAttr::get(vt, b.getFloatAttr(vt.getElementType(), value)));
  return floatConstant(b, loc, type, value);
}

void buildWorkLoop(
    OpBuilder &b, Location loc, int64_t count, const KernelOptions &options,
    llvm::function_ref<void(OpBuilder &, Location, Value)> body) {
  buildWorkLoop(b, loc, indexConstant(b, loc, count), options, body);
}

void buildWorkLoop(
    OpBuilder &b, Location loc, Value n, const KernelOptions &options,
    llvm::function_ref<void(OpBuilder &, Location, Value)> body) {
  Value c0 = indexConstant(b, loc, 0), c1 = indexConstant(b, loc, 1);
  std::optional<int64_t> count = getConstantIntValue(n);
  if (options.threads > 1 && (!count || *count > 1)) {
    b.create<scf::ParallelOp>(loc, ValueRange{c0}, ValueRange{n},
                              ValueRange{c1},
                              [&](OpBuilder &b, Location loc, ValueRange ivs) {
                                body(b, loc, ivs[0]);
                              });
    return;
  }
  b.create<scf::ForOp>(loc, c0, n, c1, ValueRange{},
                       [&](OpBuilder &b, Location loc, Value iv, ValueRange) {
                         body(b, loc, iv);
                         b.create<scf::YieldOp>(loc);
                       });
}

} // namespace einsum::cpu
