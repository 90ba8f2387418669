//===- KernelShapes.cpp - Kernel shapes from a model of the registers -----===//
#include "backends/cpu/KernelShapes.h"

#include <fmt/format.h>

#include <algorithm>

namespace einsum::cpu {

std::vector<TileShape> registerTiles(unsigned registers) {
  int64_t r = registers;
  std::vector<TileShape> tiles;
  for (int64_t cols = 1; cols <= r; ++cols) {
    int64_t rows = std::min((r * 3 / 4) / cols, (r - 2 - cols) / cols);
    if (rows >= 1)
      tiles.push_back({rows, cols});
  }
  // (rows + cols) / (rows * cols) compared without division.
  std::stable_sort(tiles.begin(), tiles.end(),
                   [](const TileShape &a, const TileShape &b) {
                     int64_t lhs = (a.rows + a.cols) * b.rows * b.cols;
                     int64_t rhs = (b.rows + b.cols) * a.rows * a.cols;
                     if (lhs != rhs)
                       return lhs < rhs;
                     if (a.rows * a.cols != b.rows * b.cols)
                       return a.rows * a.cols > b.rows * b.cols;
                     return a.cols < b.cols;
                   });
  return tiles;
}

void modelShapes(KernelOptions &options) {
  TileShape best = registerTiles(options.vectorRegisters).front();
  options.flash.tile = best;
  options.gemm.tile = best;
}

std::string describe(const FlashShape &shape) {
  return fmt::format("{}x{} step {} group {}", shape.tile.rows, shape.tile.cols,
                     shape.stepTiles, shape.groupBlocks);
}

std::string describe(const GemmShape &shape) {
  return fmt::format("{}x{} depth {} panel {}K", shape.tile.rows,
                     shape.tile.cols, shape.depthBlock,
                     shape.panelBytes / 1024);
}

} // namespace einsum::cpu
