//===- KernelBuilder.h - Vector loop nests for the hot kernels --*- C++ -*-===//
//
// The pieces the register-tiled kernels (contraction, attention) share:
// index arithmetic, vectors of the element type, heap scratch buffers,
// tile-major packing of the right-hand operand, and the register tile that
// sums broadcast left-hand elements times packed vectors.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_BACKENDS_CPU_KERNELBUILDER_H
#define EINSUM_BACKENDS_CPU_KERNELBUILDER_H

#include "backends/cpu/Lowering.h"

#include "mlir/IR/BuiltinTypes.h"

namespace einsum::cpu {

inline int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

class KernelBuilder {
public:
  KernelBuilder(mlir::OpBuilder &b, mlir::Location loc, mlir::Type element,
                const KernelOptions &options);

  mlir::OpBuilder &b;
  mlir::Location loc;
  mlir::Type t;
  int64_t lanes;
  mlir::VectorType vec;

  //===--- Index arithmetic -----------------------------------------------===//
  // Sizes known only at run time are index values like any other; the
  // operations below fold constants as they build, so a kernel over static
  // shapes gets the constants it always had, and `known` tells a kernel
  // which structural choices (tile counts, masks) it can still make when
  // it is compiled.
  mlir::Value idx(int64_t v);
  /// The value of a constant index, else nothing.
  static std::optional<int64_t> known(mlir::Value v);
  mlir::Value add(mlir::Value x, mlir::Value y);
  mlir::Value sub(mlir::Value x, mlir::Value y);
  mlir::Value mul(mlir::Value x, mlir::Value y);
  mlir::Value div(mlir::Value x, int64_t d);
  mlir::Value div(mlir::Value x, mlir::Value d);
  mlir::Value rem(mlir::Value x, int64_t d);
  mlir::Value rem(mlir::Value x, mlir::Value d);
  mlir::Value minIdx(mlir::Value x, mlir::Value y);
  mlir::Value maxIdx(mlir::Value x, mlir::Value y);
  /// ceil(x / d) for x >= 0 (arith.ceildivui has no LLVM lowering).
  mlir::Value ceilDivIdx(mlir::Value x, int64_t d);
  mlir::Value ceilDivIdx(mlir::Value x, mlir::Value d);
  mlir::Value lessThan(mlir::Value x, mlir::Value y);

  //===--- Values ---------------------------------------------------------===//
  mlir::Value scalar(double v);
  mlir::Value splat(double v);
  mlir::Value broadcast(mlir::Value s);
  /// Vector loads and stores, and scalar loads, convert between the
  /// kernel's type and the memref's: f16 and bf16 buffers are read widened
  /// (exactly) and written rounded to nearest even.
  mlir::Value load(mlir::Value memref, mlir::ValueRange at);
  void store(mlir::Value v, mlir::Value memref, mlir::ValueRange at);
  mlir::Value loadScalar(mlir::Value memref, mlir::ValueRange at);
  /// `x` (a scalar or vector of floats) with element type `to`.
  mlir::Value convert(mlir::Value x, mlir::Type to);
  /// A vector of `lanes` of the memref's element type.
  mlir::VectorType vectorOf(mlir::Value memref) const;
  /// A vector<lanes x i1> true in its first `count` lanes.
  mlir::Value firstLanes(int64_t count);
  mlir::Value firstLanes(mlir::Value count);
  /// A load or store of the first `count` lanes only; a plain one when
  /// count >= lanes.
  mlir::Value loadFirst(int64_t count, mlir::Value memref, mlir::ValueRange at);
  void storeFirst(int64_t count, mlir::Value v, mlir::Value memref,
                  mlir::ValueRange at);
  /// The same for a lane count known only at run time (at most lanes).
  mlir::Value loadFirst(mlir::Value count, mlir::Value memref,
                        mlir::ValueRange at);
  void storeFirst(mlir::Value count, mlir::Value v, mlir::Value memref,
                  mlir::ValueRange at);
  mlir::Value maskedLoad(mlir::Value mask, mlir::Value memref,
                         mlir::ValueRange at);
  /// A 64-byte aligned heap buffer of the element type.
  mlir::Value alloc(llvm::ArrayRef<int64_t> shape);
  /// The same with sizes that may be known only at run time, and of
  /// another element type if given.
  mlir::Value alloc(llvm::ArrayRef<mlir::Value> shape, mlir::Type element = {});

  /// exp(x) of a softmax weight, x = score - running max <= 0 (or NaN):
  /// for f32, range reduction to [-ln 2 / 2, ln 2 / 2], a degree-6
  /// polynomial and the exponent put back by integer addition, within 2
  /// ulp; below -87.3 the result is 2^-126, not 0 (weights that small
  /// vanish next to the max's 1). Half the operations of math.exp's general
  /// approximation, which guards inputs a softmax never sees. Other types
  /// use math.exp.
  mlir::Value softmaxExp(mlir::Value x);

  //===--- Loops ----------------------------------------------------------===//
  /// scf.for over [lo, hi) carrying `init`; `body` returns the next values.
  mlir::ValueRange
  loop(mlir::Value lo, mlir::Value hi, mlir::ValueRange init,
       llvm::function_ref<llvm::SmallVector<mlir::Value>(mlir::Value,
                                                         mlir::ValueRange)>
           body);
  /// scf.for over [lo, hi) by `step`, carrying nothing.
  void forEach(mlir::Value lo, mlir::Value hi,
               llvm::function_ref<void(mlir::Value)> body, int64_t step = 1);
  void ifThen(mlir::Value cond, llvm::function_ref<void()> body);
  /// scf.if with both branches, each returning values of the same types.
  void ifThenElse(mlir::Value cond, llvm::function_ref<void()> then,
                  llvm::function_ref<void()> otherwise);
  mlir::ValueRange
  select(mlir::Value cond,
         llvm::function_ref<llvm::SmallVector<mlir::Value>()> then,
         llvm::function_ref<llvm::SmallVector<mlir::Value>()> otherwise);

  /// The node's work loop over `items` independent items (buildWorkLoop),
  /// each holding at most `scratchElements` elements of heap scratch while
  /// it runs, a size (ir/Size.h): records the node's scratch at its peak
  /// (one item per thread).
  void workItems(NodeLowering &n, mlir::Value items, int64_t scratchElements,
                 llvm::function_ref<void(mlir::Value)> body);

  //===--- Register tiles -------------------------------------------------===//
  /// packed[(j - begin) / T, k, j % T] = element(j, k) for j in [begin,
  /// end) (multiples of T = cols * lanes), k in [0, depth); 0 where j >=
  /// valid. `element` reads the operand at a j clamped below `valid`.
  void packTiles(
      mlir::Value packed, mlir::Value begin, mlir::Value end, int64_t tileWidth,
      mlir::Value depth, mlir::Value valid,
      llvm::function_ref<mlir::Value(mlir::Value j, mlir::Value k)> element);
  /// sum over k in [0, depth) of left(r, k) * packed[tile, k, c * lanes:]
  /// for r < rows, c < cols: rows * cols vectors, row-major, added to
  /// `init` (empty: zeros).
  llvm::SmallVector<mlir::Value>
  tileSum(int64_t rows, int64_t cols, mlir::Value depth, mlir::Value packed,
          mlir::Value tile,
          llvm::function_ref<mlir::Value(int64_t r, mlir::Value k)> left,
          mlir::ValueRange init = {});
  /// The same with the vectors of the right operand from `right(k, c)`.
  llvm::SmallVector<mlir::Value>
  tileSum(int64_t rows, int64_t cols, mlir::Value depth,
          llvm::function_ref<mlir::Value(mlir::Value k, int64_t c)> right,
          llvm::function_ref<mlir::Value(int64_t r, mlir::Value k)> left,
          mlir::ValueRange init = {});
};

} // namespace einsum::cpu

#endif // EINSUM_BACKENDS_CPU_KERNELBUILDER_H
