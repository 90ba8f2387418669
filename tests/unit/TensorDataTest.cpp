//===- TensorDataTest.cpp - Storage, rounding and comparison --------------===//
#include "ir/TensorData.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>

using namespace einsum;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

TEST(TensorData, StorageIsAlignedAndZeroed) {
  for (TensorType t : {TensorType::f32({}), TensorType::f32({3}),
                       TensorType::f64({17, 5}), TensorType::i64({65})}) {
    TensorData d(t);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(d.raw()) % 64, 0u) << t.str();
    EXPECT_EQ(d.numElements(), t.numElements());
    EXPECT_EQ(d.sizeInBytes(), t.sizeInBytes());
    for (int64_t i = 0; i < d.numElements(); ++i)
      EXPECT_EQ(d.get(i), 0.0);
  }
}

TEST(TensorData, CopiesAreDeep) {
  TensorData a(TensorType::f64({4}));
  a.set(2, 7.5);
  TensorData b = a;
  b.set(2, -1);
  EXPECT_EQ(a.get(2), 7.5);
  EXPECT_EQ(b.get(2), -1.0);
  EXPECT_NE(a.raw(), b.raw());
  a = b;
  EXPECT_EQ(a.get(2), -1.0);
  TensorData empty;
  TensorData copy = empty;
  EXPECT_EQ(copy.numElements(), 0);
  EXPECT_EQ(copy.raw(), nullptr);
}

TEST(TensorData, SetRoundsToTheElementType) {
  TensorData f(TensorType::f32({1}));
  f.set(0, 0.1);
  EXPECT_EQ(f.get(0), double(0.1f));
  EXPECT_EQ(f.data<float>()[0], 0.1f);

  TensorData i(TensorType::i64({6}));
  for (auto [idx, v] : {std::pair{0, 2.7},
                        {1, -2.7},
                        {2, 1e30},
                        {3, -1e30},
                        {4, kNaN},
                        {5, 9007199254740993.0}})
    i.set(idx, v);
  const int64_t *p = i.data<int64_t>();
  EXPECT_EQ(p[0], 2); // toward zero
  EXPECT_EQ(p[1], -2);
  EXPECT_EQ(p[2], std::numeric_limits<int64_t>::max()); // saturates
  EXPECT_EQ(p[3], std::numeric_limits<int64_t>::min());
  EXPECT_EQ(p[4], 0);
  EXPECT_EQ(p[5], int64_t(9007199254740992)); // the double itself rounded
}

TensorData vec(std::vector<double> v) {
  TensorData t(TensorType::f64({int64_t(v.size())}));
  for (size_t i = 0; i < v.size(); ++i)
    t.set(i, v[i]);
  return t;
}

TEST(TensorData, CompareWithinTolerance) {
  Comparison same = compareTensors(vec({1, 2, 3}), vec({1, 2, 3}), 0, 0);
  EXPECT_TRUE(same.allClose);
  EXPECT_EQ(same.maxAbsError, 0);
  EXPECT_EQ(same.worstIndex, -1);

  // |error| <= atol + rtol * |expected|: 0.01 <= 0.001 + 0.01 * 100.
  Comparison c =
      compareTensors(vec({1.0005, 100.5}), vec({1, 100}), 0.01, 0.001);
  EXPECT_TRUE(c.allClose);
  EXPECT_DOUBLE_EQ(c.maxAbsError, 0.5);
  EXPECT_EQ(c.worstIndex, 1);
  Comparison tight =
      compareTensors(vec({1.0005, 100.5}), vec({1, 100}), 0.001, 0.0001);
  EXPECT_FALSE(tight.allClose);
}

TEST(TensorData, CompareNaNsAndInfinities) {
  EXPECT_TRUE(
      compareTensors(vec({kNaN, kInf, -kInf}), vec({kNaN, kInf, -kInf}), 0, 0)
          .allClose);
  Comparison nan = compareTensors(vec({1, kNaN}), vec({1, 2}), 1, 1);
  EXPECT_FALSE(nan.allClose);
  EXPECT_EQ(nan.worstIndex, 1);
  EXPECT_TRUE(std::isinf(nan.maxAbsError));
  EXPECT_FALSE(compareTensors(vec({2}), vec({kNaN}), 1, 1).allClose);
  // A huge tolerance still does not make an infinity equal a number.
  EXPECT_FALSE(compareTensors(vec({1e300}), vec({kInf}), 1e10, 1e10).allClose);
  EXPECT_FALSE(compareTensors(vec({kInf}), vec({-kInf}), 1e10, 1e10).allClose);
}

} // namespace
