// Goal: DrainerOptions carry upstream's defaults and hard-coded intervals (UPSTREAM.md §5.4,
// §9.2), nonsense settings are refused before a node is built, and the drainer node id is
// upstream's (configured, else hostname:port). Method: direct calls on plain values.
#include "reference/drainer/drainer_options.h"

#include <gtest/gtest.h>

namespace tidb_binlog {
namespace {

DrainerOptions Valid() {
  DrainerOptions options;
  options.node_id = "drainer-1:8249";
  options.advertise_addr = "127.0.0.1:8249";
  return options;
}

TEST(DrainerOptionsTest, DefaultsAreUpstreams) {
  const DrainerOptions options;
  EXPECT_EQ(options.detect_interval_ms, 5'000);
  EXPECT_EQ(options.synced_check_time_ms, 300'000);
  EXPECT_EQ(options.initial_commit_ts, -1);
  EXPECT_EQ(options.checkpoint_save_interval_ms, 3'000);
  EXPECT_EQ(options.pull_retry_delay_ms, 1'000);
  EXPECT_EQ(kDrainerHeartbeatIntervalMilliseconds, 1'000);
  EXPECT_EQ(kDrainerHeartbeatFailuresMax, 20);
  EXPECT_TRUE(ValidateDrainerOptions(Valid()).ok());
}

TEST(DrainerOptionsTest, NonsenseIsRefused) {
  auto refused = [](void (*edit)(DrainerOptions&)) {
    DrainerOptions options = Valid();
    edit(options);
    Status status = ValidateDrainerOptions(options);
    return status.code() == StatusCode::kInvalidArgument;
  };
  EXPECT_TRUE(refused([](DrainerOptions& o) { o.node_id.clear(); }));
  EXPECT_TRUE(refused([](DrainerOptions& o) { o.advertise_addr.clear(); }));
  EXPECT_TRUE(refused([](DrainerOptions& o) { o.detect_interval_ms = 0; }));
  EXPECT_TRUE(refused([](DrainerOptions& o) { o.synced_check_time_ms = -1; }));
  EXPECT_TRUE(refused([](DrainerOptions& o) { o.initial_commit_ts = -2; }));
  EXPECT_TRUE(refused([](DrainerOptions& o) { o.checkpoint_save_interval_ms = 0; }));
  EXPECT_TRUE(refused([](DrainerOptions& o) { o.pull_batch_count = 0; }));
  EXPECT_TRUE(refused([](DrainerOptions& o) { o.pull_batch_bytes = 0; }));
  EXPECT_TRUE(refused([](DrainerOptions& o) { o.pull_retry_delay_ms = 0; }));
  EXPECT_TRUE(refused([](DrainerOptions& o) { o.pull_poll_delay_ms = 0; }));
  EXPECT_TRUE(refused([](DrainerOptions& o) { o.merge_limits.items_per_source_max = 0; }));
  EXPECT_FALSE(refused([](DrainerOptions& o) { o.initial_commit_ts = 0; }));
}

TEST(DrainerOptionsTest, NodeIdIsConfiguredElseHostnameAndPort) {
  EXPECT_EQ(DecideDrainerNodeId("my-drainer", "host-a", 8249), "my-drainer");
  EXPECT_EQ(DecideDrainerNodeId("", "host-a", 8249), "host-a:8249");
}

}  // namespace
}  // namespace tidb_binlog
