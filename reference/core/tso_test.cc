// Checks the TSO arithmetic against upstream's formulas (UPSTREAM.md §6.4) on hand-computed
// values, and that TsoOracle is strictly increasing whatever the clock does.
#include "reference/core/tso.h"

#include <gtest/gtest.h>

namespace tidb_binlog {
namespace {

TEST(TsoTest, ComposeAndExtract) {
  EXPECT_EQ(ComposeTs(0, 0), 0);
  EXPECT_EQ(ComposeTs(1, 0), 262144);
  EXPECT_EQ(ComposeTs(1, 5), 262149);
  // A real TSO from the public docs: 412518831548007786.
  const int64_t ts = 412518831548007786;
  EXPECT_EQ(ExtractPhysical(ts), 1573634458725);
  EXPECT_EQ(ExtractLogical(ts), 1386);
  EXPECT_EQ(ComposeTs(ExtractPhysical(ts), ExtractLogical(ts)), ts);
  EXPECT_EQ(ComposeTs(5, kTsoLogicalCount - 1) + 1, ComposeTs(6, 0));
}

TEST(TsoTest, EncodeTsoIsShiftBy18) {
  EXPECT_EQ(kTsoLogicalBits, 18);
  EXPECT_EQ(EncodeTso(0), 0);
  EXPECT_EQ(EncodeTso(1000), 1000LL << 18);
  EXPECT_EQ(EncodeTso(kTsoPhysicalMillisecondsMax) >> 18, kTsoPhysicalMillisecondsMax);
}

TEST(TsoTest, RoughTimeDropsMilliseconds) {
  EXPECT_EQ(TsoToRoughTimeSeconds(0), 0);
  EXPECT_EQ(TsoToRoughTimeSeconds(ComposeTs(1999, 7)), 1);
  EXPECT_EQ(TsoToRoughTimeSeconds(ComposeTs(1556443797999, 0)), 1556443797);
}

TEST(TsoTest, ApproachTsAddsWholeSecondsOnly) {
  const int64_t ts = ComposeTs(1000, 42);
  EXPECT_EQ(GetApproachTs(0, 5000), 0);
  EXPECT_EQ(GetApproachTs(ts, 0), ts);
  EXPECT_EQ(GetApproachTs(ts, 999), ts);
  EXPECT_EQ(GetApproachTs(ts, 1000), ComposeTs(2000, 42));
  EXPECT_EQ(GetApproachTs(ts, 2999), ComposeTs(3000, 42));
  // Truncation toward zero, as Go's int64(duration.Seconds()).
  EXPECT_EQ(GetApproachTs(ts, -999), ts);
  EXPECT_EQ(GetApproachTs(ts, -1000), ComposeTs(0, 42));
}

TEST(TsoOracleTest, FreshMillisecondStartsAtLogicalZero) {
  TsoOracle oracle;
  EXPECT_EQ(oracle.Last(), 0);
  EXPECT_EQ(oracle.Next(100), ComposeTs(100, 0));
  EXPECT_EQ(oracle.Next(100), ComposeTs(100, 1));
  EXPECT_EQ(oracle.Next(100), ComposeTs(100, 2));
  EXPECT_EQ(oracle.Next(101), ComposeTs(101, 0));
  EXPECT_EQ(oracle.Last(), ComposeTs(101, 0));
}

TEST(TsoOracleTest, NeverReturnsZero) {
  TsoOracle oracle;
  EXPECT_EQ(oracle.Next(0), 1);
  EXPECT_EQ(oracle.Next(0), 2);
}

TEST(TsoOracleTest, ClockGoingBackwardsKeepsIncreasing) {
  TsoOracle oracle;
  EXPECT_EQ(oracle.Next(500), ComposeTs(500, 0));
  EXPECT_EQ(oracle.Next(400), ComposeTs(500, 1));
  EXPECT_EQ(oracle.Next(499), ComposeTs(500, 2));
  EXPECT_EQ(oracle.Next(501), ComposeTs(501, 0));
}

TEST(TsoOracleTest, LogicalOverflowMovesPhysicalAhead) {
  TsoOracle oracle(ComposeTs(700, kTsoLogicalCount - 2));
  EXPECT_EQ(oracle.Next(700), ComposeTs(700, kTsoLogicalCount - 1));
  EXPECT_EQ(oracle.Next(700), ComposeTs(701, 0));
  EXPECT_EQ(oracle.Next(700), ComposeTs(701, 1));
  EXPECT_EQ(oracle.Next(701), ComposeTs(701, 2));
  EXPECT_EQ(oracle.Next(702), ComposeTs(702, 0));
}

TEST(TsoOracleTest, FloorIsRespected) {
  const int64_t floor = ComposeTs(9000, 3);
  TsoOracle oracle(floor);
  EXPECT_EQ(oracle.Last(), floor);
  EXPECT_EQ(oracle.Next(10), floor + 1);
}

TEST(TsoOracleTest, FullMillisecondOfLogicalValuesIsStrictlyIncreasing) {
  TsoOracle oracle;
  int64_t previous = 0;
  for (int64_t i = 0; i < kTsoLogicalCount + 10; ++i) {
    const int64_t ts = oracle.Next(42);
    ASSERT_GT(ts, previous);
    previous = ts;
  }
  EXPECT_EQ(previous, ComposeTs(43, 9));
}

}  // namespace
}  // namespace tidb_binlog
