//===- BFloat16Dot.cpp ----------------------------------------------------===//
#include "backends/cpu/BFloat16Dot.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;

namespace einsum::cpu {

static VectorType pairVector(KernelBuilder &k) {
  return VectorType::get({32}, k.b.getBF16Type());
}

Value dotBF16(KernelBuilder &k, Value acc, Value pairs, Value right) {
  assert(k.lanes == 16 && "vdpbf16ps fills 16 f32 lanes");
  return k.b
      .create<LLVM::CallIntrinsicOp>(k.loc, acc.getType(),
                                     "llvm.x86.avx512bf16.dpbf16ps.512",
                                     ValueRange{acc, pairs, right})
      .getResult(0);
}

Value broadcastPair(KernelBuilder &k, Value memref, ValueRange at) {
  OpBuilder &b = k.b;
  Location loc = k.loc;
  Value two = b.create<vector::LoadOp>(
      loc, VectorType::get({2}, b.getBF16Type()), memref, at);
  Value word = b.create<vector::ExtractOp>(
      loc,
      b.create<vector::BitCastOp>(loc, VectorType::get({1}, b.getI32Type()),
                                  two),
      llvm::ArrayRef<int64_t>{0});
  Value words = b.create<vector::BroadcastOp>(
      loc, VectorType::get({16}, b.getI32Type()), word);
  return b.create<vector::BitCastOp>(loc, pairVector(k), words);
}

Value loadPairs(KernelBuilder &k, Value memref, ValueRange at) {
  return k.b.create<vector::LoadOp>(k.loc, pairVector(k), memref, at);
}

} // namespace einsum::cpu
