//===- Lowering.h - Graph to MLIR, private to the cpu backend ---*- C++ -*-===//
//
// The graph becomes one func.func over caller-provided memrefs. Each node is
// lowered by its family's function into a destination buffer the graph
// lowering chose for it; the functions emit linalg on memrefs, or scf loop
// nests where a row needs several passes (softmax, attention, gather), so a
// later tiling and vectorization stage can work on the linalg ops as is.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_BACKENDS_CPU_LOWERING_H
#define EINSUM_BACKENDS_CPU_LOWERING_H

#include "backends/MemoryPlan.h"
#include "backends/cpu/RankReduction.h"
#include "ir/Graph.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Support/LogicalResult.h"

#include "llvm/ADT/SmallVector.h"

#include <algorithm>
#include <map>
#include <string>

namespace einsum::cpu {

/// The name of the lowered function; the C interface adds _mlir_ciface_.
inline constexpr const char *kEntryName = "eg_main";

/// A register tile: rows x cols vectors of sums, fed per step by one
/// broadcast element of each row and `cols` vectors of the other operand.
struct TileShape {
  int64_t rows = 0, cols = 0;
  bool operator==(const TileShape &) const = default;
};

/// The flash kernel's shape (LowerAttention.cpp).
struct FlashShape {
  /// Query rows x key vectors of the score tile; the value product uses
  /// as many accumulators.
  TileShape tile;
  /// Key tiles per online-softmax step.
  int64_t stepTiles = 16;
  /// Row blocks that share each step's keys while they are in cache.
  int64_t groupBlocks = 8;
  bool operator==(const FlashShape &) const = default;
};

/// The matrix product's shape (LowerMatmul.cpp).
struct GemmShape {
  TileShape tile;
  /// Depth of the packed panels: the left micro-panel (depthBlock x rows)
  /// stays in L1 while the tiles of the right panel stream past it.
  int64_t depthBlock = 256;
  /// The most bytes of the right panel (depthBlock x columns) a work item
  /// packs at a time, to stay in L2.
  int64_t panelBytes = 256 * 1024;
  bool operator==(const GemmShape &) const = default;
};

/// What the generated kernels are shaped for.
struct KernelOptions {
  /// Work loops run on this many OpenMP threads; 1 emits no parallel loop.
  unsigned threads = 1;
  /// The widest vector register, and how many there are: they size the
  /// register tiles (16 x 512 bits with AVX-512, 16 x 256 with AVX2).
  unsigned vectorBits = 128;
  unsigned vectorRegisters = 16;
  /// The kernels' shapes: from a model of the registers (KernelShapes.h)
  /// or measured on the host (Tuning.h).
  FlashShape flash;
  GemmShape gemm;
  /// Whether they were measured on the host rather than modeled.
  bool flashMeasured = false, gemmMeasured = false;
  /// AVX512-BF16's vdpbf16ps (two bf16 products summed into each f32 lane)
  /// is available with 512-bit vectors: the flash kernel's products over
  /// bf16 q, k and v use it.
  bool bf16Dot = false;

  /// Lanes of `elementBits`-wide elements in one vector register.
  int64_t lanes(unsigned elementBits) const {
    return std::max<int64_t>(1, vectorBits / elementBits);
  }
};

/// How the entry function is called: every graph argument, then every
/// graph output, then (if the graph gathers) a memref<Gx2xi64> where gather
/// g records the position and value of its first out-of-range index.
/// Dimensions known only at run time are dynamic (`?`) in the memref
/// types; the function reads each symbol's value from the first argument
/// dimension that is exactly it (ir/SizeBindings.h).
struct EntrySignature {
  unsigned numArguments = 0, numOutputs = 0;
  /// The gather nodes in slot order, for messages.
  std::vector<NodeId> gathers;
  /// How the run places buffers, and in what order the nodes run: with
  /// them the peak is worked out for the sizes of a run (scratch sizes may
  /// be symbolic).
  BufferModel model;
  std::vector<NodeId> order;
  /// For a static graph, the most memory a run holds: the caller's
  /// buffers, the intermediates alive at once and the kernels' scratch at
  /// that point (per thread).
  PeakMemory peak;
};

/// The run-time values of the graph's size symbols, read once at the entry
/// of the lowered function.
class SizeValues {
public:
  void bind(const std::string &symbol, mlir::Value v) { values[symbol] = v; }
  /// `s` as an index value at b's insertion point: a constant, or its
  /// expression over the symbols.
  mlir::Value get(mlir::OpBuilder &b, mlir::Location loc, int64_t s) const;
  /// Dimension d of `t`.
  mlir::Value dim(mlir::OpBuilder &b, mlir::Location loc, const TensorType &t,
                  unsigned d) const {
    return get(b, loc, t.dim(d));
  }
  /// The dynamic sizes of a memref of `t`, in order (memref.alloc's
  /// operands).
  llvm::SmallVector<mlir::Value> dynamicSizes(mlir::OpBuilder &b,
                                              mlir::Location loc,
                                              const TensorType &t) const;

private:
  std::map<std::string, mlir::Value> values;
};

/// Builds the module for a verified graph, or emits an error diagnostic
/// (naming the node) on the context and fails.
mlir::FailureOr<mlir::OwningOpRef<mlir::ModuleOp>>
lowerGraph(mlir::MLIRContext &ctx, const Graph &g, const KernelOptions &options,
           EntrySignature &signature);

/// One node being lowered: its input buffers and the buffer to fill.
struct NodeLowering {
  mlir::OpBuilder &b;
  mlir::Location loc;
  const Graph &g;
  NodeId id;
  llvm::SmallVector<mlir::Value, 4> inputs;
  mlir::Value dest;
  /// gather: this node's row of the status, a [1, 2] memref.
  mlir::Value status;
  const KernelOptions *options = nullptr;
  /// The symbols' values (always set by lowerGraph).
  const SizeValues *sizes = nullptr;
  /// Set by a kernel: the heap scratch its threads hold while it runs, a
  /// size (ir/Size.h) when it depends on sizes known only at run time.
  int64_t scratchBytes = 0;
  /// Set when the node is lowered over reduced shapes (RankReduction.h):
  /// then `inputs` and `dest` are views of those shapes, and the node and
  /// types below are the reduced ones.
  const ReducedNode *reduced = nullptr;

  const Node &node() const { return reduced ? reduced->node : g.node(id); }
  const TensorType &inputType(unsigned k) const {
    return reduced ? reduced->inputs[k] : g.type(node().inputs[k]);
  }
  const TensorType &resultType() const {
    return reduced ? reduced->result : g.type(node().result());
  }
  mlir::Type elementType() const;
  /// Size `s`, or dimension d of `t`, as an index value at b's insertion
  /// point.
  mlir::Value size(int64_t s) const { return sizes->get(b, loc, s); }
  mlir::Value dim(const TensorType &t, unsigned d) const {
    return sizes->dim(b, loc, t, d);
  }
  /// Emits "<node>: <why>" and fails: what the backend cannot lower.
  mlir::LogicalResult refuse(const llvm::Twine &why) const;
};

mlir::Type toMlirType(mlir::MLIRContext *ctx, DType t);
mlir::MemRefType toMemRefType(mlir::MLIRContext *ctx, const TensorType &t);

//===--- Per-family lowerings (one file each) ---------------------------===//

mlir::LogicalResult lowerUnary(NodeLowering &n);
mlir::LogicalResult lowerBinary(NodeLowering &n);
mlir::LogicalResult lowerCast(NodeLowering &n);
mlir::LogicalResult lowerEinsum(NodeLowering &n);
mlir::LogicalResult lowerContraction(NodeLowering &n);
mlir::LogicalResult lowerAttention(NodeLowering &n);
mlir::LogicalResult lowerReduce(NodeLowering &n);
mlir::LogicalResult lowerSoftmax(NodeLowering &n);
/// Softmax along the last axis in vectors; false (nothing emitted) for
/// another axis or a rank-1 input.
bool lowerSoftmaxRows(NodeLowering &n, unsigned axis);
/// Softmax along an axis that is not the last, in vectors along the last;
/// false (nothing emitted) otherwise.
bool lowerSoftmaxColumns(NodeLowering &n, unsigned axis);
/// reduce in vectors when the last axis is the only one reduced, or is
/// kept (ReduceVectors.cpp); false (nothing emitted) otherwise.
bool lowerReduceVectors(NodeLowering &n, const std::vector<bool> &reduced,
                        bool keepDims, llvm::StringRef kind);
mlir::LogicalResult lowerTranspose(NodeLowering &n);
mlir::LogicalResult lowerGather(NodeLowering &n);
/// concat over reduced shapes: rows of its inputs side by side.
mlir::LogicalResult lowerConcat(NodeLowering &n);
/// constant, iota, distance, causal_mask, alibi_slopes, relative_buckets.
mlir::LogicalResult lowerGenerator(NodeLowering &n);
/// expand_dims and reshape: a row-major view of the input, no copy.
mlir::Value viewAs(mlir::OpBuilder &b, mlir::Location loc, mlir::Value source,
                   const TensorType &type, const SizeValues &sizes);

//===--- Scalar helpers -------------------------------------------------===//

mlir::Value floatConstant(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Type type, double value);
mlir::Value indexConstant(mlir::OpBuilder &b, mlir::Location loc, int64_t v);
/// An index value as a float of `type` (exact below 2^24 in f32).
mlir::Value indexToFloat(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::Value index, mlir::Type type);
/// A float, or a vector of floats, converted to the element type of `type`
/// by extension (exact) or rounding to nearest even (once, from any type to
/// any other).
mlir::Value castFloat(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                      mlir::Type type);
/// The loop indices of the enclosing linalg.generic, one per loop.
llvm::SmallVector<mlir::Value, 4>
loopIndices(mlir::OpBuilder &b, mlir::Location loc, unsigned numLoops);
/// A loop over [0, count) whose iterations are independent: an
/// scf.parallel (OpenMP threads) when `options.threads` > 1 and there is
/// more than one iteration, else an scf.for. `body` allocates on the heap:
/// a stack allocation in it would grow the stack at every iteration.
void buildWorkLoop(
    mlir::OpBuilder &b, mlir::Location loc, int64_t count,
    const KernelOptions &options,
    llvm::function_ref<void(mlir::OpBuilder &, mlir::Location, mlir::Value)>
        body);
/// The same over a count known only at run time (a constant count takes
/// the form above).
void buildWorkLoop(
    mlir::OpBuilder &b, mlir::Location loc, mlir::Value count,
    const KernelOptions &options,
    llvm::function_ref<void(mlir::OpBuilder &, mlir::Location, mlir::Value)>
        body);
/// Copies `src` into `dst`, memrefs of one element type and shape whose
/// elements are contiguous in row-major order (identity layouts, or rank-1
/// unit-stride views). A static shape becomes memref.copy, which lowers to
/// a memcpy; a shape known only at run time a loop of vector loads and
/// stores with a masked tail (memref.copy would call a runtime library
/// function there, which neither the JIT nor an ahead-of-time object has).
void copyContiguous(mlir::OpBuilder &b, mlir::Location loc, mlir::Value src,
                    mlir::Value dst, const KernelOptions &options);
/// A splat constant of a vector type, or a scalar constant.
mlir::Value splatConstant(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Type type, double value);
/// A linalg.generic writing `dest` (identity map) from `inputs` read through
/// `inputMaps`, every loop parallel.
void buildParallelGeneric(
    mlir::OpBuilder &b, mlir::Location loc, mlir::ValueRange inputs,
    llvm::ArrayRef<mlir::AffineMap> inputMaps, mlir::Value dest,
    llvm::function_ref<void(mlir::OpBuilder &, mlir::Location,
                            mlir::ValueRange)>
        body);

} // namespace einsum::cpu

#endif // EINSUM_BACKENDS_CPU_LOWERING_H
