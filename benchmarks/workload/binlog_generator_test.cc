// Goal: the generator is a faithful, replayable model of what a pump receives. Method: draw
// long streams and check replay (same seed, same bytes), and each promised property of the
// stream (TSO shape, P-before-C pairing, commit-ts order, rollbacks, DDL, fake binlogs, row
// byte bounds) over every binlog.
#include "benchmarks/workload/binlog_generator.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "reference/core/binlog_codec.h"
#include "reference/core/tso.h"

namespace tidb_binlog::workload {
namespace {

constexpr int kStreamLength = 20'000;

std::vector<binlog::Binlog> Draw(const BinlogGeneratorOptions& options, int count) {
  BinlogGenerator generator(options);
  std::vector<binlog::Binlog> out;
  out.reserve(count);
  for (int i = 0; i < count; ++i) out.push_back(generator.Next());
  return out;
}

int64_t RowBytes(const binlog::PrewriteValue& value) {
  int64_t total = 0;
  for (const binlog::TableMutation& m : value.mutations()) {
    for (const std::string& row : m.inserted_rows()) total += row.size();
    for (const std::string& row : m.updated_rows()) total += row.size();
    for (const std::string& row : m.deleted_rows()) total += row.size();
    EXPECT_EQ(m.sequence_size(),
              m.inserted_rows_size() + m.updated_rows_size() + m.deleted_rows_size());
  }
  return total;
}

TEST(PrngTest, SameSeedSameNumbersAndBoundsHold) {
  Prng a(42), b(42), c(43);
  bool differs = false;
  for (int i = 0; i < 1000; ++i) {
    const uint64_t x = a.NextU64();
    EXPECT_EQ(x, b.NextU64());
    differs |= x != c.NextU64();
    const int64_t v = a.Between(-3, 5);
    b.Between(-3, 5);
    EXPECT_GE(v, -3);
    EXPECT_LE(v, 5);
  }
  EXPECT_TRUE(differs);
}

TEST(PrngTest, FirstOutputIsPinned) {
  // Pins the algorithm: a change here changes every simulator replay.
  uint64_t state = 0;
  EXPECT_EQ(SplitMix64(&state), 0xe220a8397b1dcdafULL);
  Prng prng(0);
  const uint64_t first = prng.NextU64();
  Prng again(0);
  EXPECT_EQ(first, again.NextU64());
}

TEST(BinlogGeneratorTest, SameSeedGivesSameBytesOtherSeedDiffers) {
  BinlogGeneratorOptions options;
  options.seed = 7;
  const auto a = Draw(options, kStreamLength);
  const auto b = Draw(options, kStreamLength);
  options.seed = 8;
  const auto c = Draw(options, kStreamLength);
  int differing = 0;
  for (int i = 0; i < kStreamLength; ++i) {
    ASSERT_EQ(EncodeBinlog(a[i]), EncodeBinlog(b[i])) << "binlog " << i;
    differing += EncodeBinlog(a[i]) != EncodeBinlog(c[i]);
  }
  EXPECT_GT(differing, kStreamLength / 2);
}

TEST(BinlogGeneratorTest, StreamHasPromisedShape) {
  BinlogGeneratorOptions options;
  options.seed = 11;
  options.ddl_per_million = 10'000;  // enough DDL to see in a short stream
  const auto stream = Draw(options, kStreamLength);

  std::map<int64_t, binlog::Binlog> prewrites;  // start_ts -> Prewrite (value cleared)
  std::set<int64_t> finished;
  int64_t last_commit_ts = 0, last_fake_ms = 0, last_ddl_job = 0;
  int rollbacks = 0, commits = 0, fakes = 0, ddls = 0, out_of_start_order = 0;
  int64_t last_prewrite_start = 0;
  for (const binlog::Binlog& b : stream) {
    ASSERT_GT(b.start_ts(), 0);
    EXPECT_GE(ExtractPhysical(b.start_ts()), options.start_physical_ms);
    if (b.tp() == binlog::Prewrite) {
      EXPECT_EQ(b.commit_ts(), 0);
      EXPECT_TRUE(prewrites.find(b.start_ts()) == prewrites.end()) << "duplicate start_ts";
      out_of_start_order += b.start_ts() < last_prewrite_start;
      last_prewrite_start = std::max(last_prewrite_start, b.start_ts());
      if (b.ddl_job_id() > 0) {
        ++ddls;
        EXPECT_GT(b.ddl_job_id(), last_ddl_job);
        last_ddl_job = b.ddl_job_id();
        EXPECT_FALSE(b.ddl_query().empty());
        EXPECT_FALSE(b.has_prewrite_value());
      } else {
        auto value = DecodePrewriteValue(b.prewrite_value());
        ASSERT_TRUE(value.ok());
        const int64_t bytes = RowBytes(*value);
        EXPECT_GE(bytes, options.row_bytes.min_bytes);
        EXPECT_LE(bytes, options.row_bytes.max_bytes);
      }
      binlog::Binlog kept = b;
      kept.clear_prewrite_value();
      prewrites[b.start_ts()] = kept;
      continue;
    }
    if (b.start_ts() == b.commit_ts()) {  // fake binlog
      ++fakes;
      EXPECT_EQ(b.tp(), binlog::Rollback);
      EXPECT_GT(b.commit_ts(), last_commit_ts);
      last_commit_ts = b.commit_ts();
      const int64_t ms = ExtractPhysical(b.commit_ts());
      if (last_fake_ms > 0) {
        EXPECT_GE(ms - last_fake_ms, options.fake_interval_ms);
      }
      last_fake_ms = ms;
      continue;
    }
    // Commit or TiDB rollback: its Prewrite came earlier, with the same key and DDL fields.
    auto p = prewrites.find(b.start_ts());
    ASSERT_TRUE(p != prewrites.end()) << "finish before its prewrite";
    EXPECT_TRUE(finished.insert(b.start_ts()).second) << "finished twice";
    EXPECT_EQ(b.prewrite_key(), p->second.prewrite_key());
    EXPECT_EQ(b.ddl_job_id(), p->second.ddl_job_id());
    EXPECT_EQ(b.ddl_query(), p->second.ddl_query());
    EXPECT_FALSE(b.has_prewrite_value());
    if (b.tp() == binlog::Rollback) {
      ++rollbacks;
      EXPECT_EQ(b.commit_ts(), 0);
      EXPECT_EQ(b.ddl_job_id(), 0) << "DDL jobs are not rolled back";
    } else {
      ASSERT_EQ(b.tp(), binlog::Commit);
      ++commits;
      EXPECT_GT(b.commit_ts(), b.start_ts());
      EXPECT_GT(b.commit_ts(), last_commit_ts) << "commits arrive in commit_ts order";
      last_commit_ts = b.commit_ts();
    }
  }
  EXPECT_GT(commits, kStreamLength / 3);
  EXPECT_GT(rollbacks, 0);
  EXPECT_LT(rollbacks, commits / 10);
  EXPECT_GT(ddls, 0);
  EXPECT_GT(fakes, 0);
  EXPECT_GT(out_of_start_order, 0) << "transactions should interleave";
  // Some Prewrites are still in flight at the end of a prefix, at most open_transactions_max.
  EXPECT_LE(prewrites.size() - finished.size(),
            static_cast<size_t>(options.open_transactions_max));
}

TEST(BinlogGeneratorTest, InterleavesOtherTransactionsBetweenPrewriteAndCommit) {
  const auto stream = Draw(BinlogGeneratorOptions{}, kStreamLength);
  std::map<int64_t, int> prewrite_position;
  int interleaved = 0;
  for (int i = 0; i < kStreamLength; ++i) {
    const binlog::Binlog& b = stream[i];
    if (b.tp() == binlog::Prewrite) {
      prewrite_position[b.start_ts()] = i;
    } else if (b.start_ts() != b.commit_ts()) {
      interleaved += i - prewrite_position.at(b.start_ts()) > 1;
    }
  }
  EXPECT_GT(interleaved, kStreamLength / 4);
}

TEST(BinlogGeneratorTest, FixedSizeModeGivesExactRowBytes) {
  BinlogGeneratorOptions options;
  options.row_bytes = RowBytesDistribution::Fixed(1024);
  options.ddl_per_million = 0;
  BinlogGenerator generator(options);
  int prewrites = 0;
  for (int i = 0; i < 2000; ++i) {
    const binlog::Binlog b = generator.Next();
    if (b.tp() != binlog::Prewrite) continue;
    ++prewrites;
    auto value = DecodePrewriteValue(b.prewrite_value());
    ASSERT_TRUE(value.ok());
    EXPECT_EQ(RowBytes(*value), 1024);
  }
  EXPECT_GT(prewrites, 0);
  EXPECT_EQ(generator.counts().row_bytes, int64_t{1024} * prewrites);
}

TEST(BinlogGeneratorTest, DistributionsSpanTheirRange) {
  for (RowBytesShape shape : {RowBytesShape::kUniform, RowBytesShape::kLogUniform}) {
    BinlogGeneratorOptions options;
    options.row_bytes = {shape, 100, 16 * 1024};
    options.ddl_per_million = 0;
    BinlogGenerator generator(options);
    int64_t smallest = INT64_MAX, largest = 0, below_1k = 0, prewrites = 0;
    for (int i = 0; i < kStreamLength; ++i) {
      const binlog::Binlog b = generator.Next();
      if (b.tp() != binlog::Prewrite) continue;
      const int64_t bytes = RowBytes(*DecodePrewriteValue(b.prewrite_value()));
      smallest = std::min(smallest, bytes);
      largest = std::max(largest, bytes);
      below_1k += bytes < 1024;
      ++prewrites;
    }
    EXPECT_LT(smallest, 200);
    EXPECT_GT(largest, 15 * 1024);
    if (shape == RowBytesShape::kLogUniform) {
      // Octaves 100-199 .. 800-1599: a good third of the transactions are small.
      EXPECT_GT(below_1k * 3, prewrites);
    }
  }
}

TEST(BinlogGeneratorTest, FinishOpenTransactionsMatchesEveryPrewrite) {
  BinlogGenerator generator(BinlogGeneratorOptions{});
  std::set<int64_t> waiting;
  auto track = [&](const binlog::Binlog& b) {
    if (b.tp() == binlog::Prewrite) {
      waiting.insert(b.start_ts());
    } else if (b.start_ts() != b.commit_ts()) {
      EXPECT_EQ(waiting.erase(b.start_ts()), 1u);
    }
  };
  for (int i = 0; i < 1000; ++i) track(generator.Next());
  for (const binlog::Binlog& b : generator.FinishOpenTransactions()) track(b);
  EXPECT_TRUE(waiting.empty());
  for (int i = 0; i < 100; ++i) track(generator.Next());  // the stream goes on
}

}  // namespace
}  // namespace tidb_binlog::workload
