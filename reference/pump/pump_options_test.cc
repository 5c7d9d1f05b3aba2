// Goal: the pump's configuration decisions match upstream — the `gc` setting (days or a Go
// duration, positive) with upstream's error texts, and the node id choice between `.node`,
// `node-id` and hostname:port. Method: table-driven calls of the pure functions.
#include "reference/pump/pump_options.h"

#include <gtest/gtest.h>

namespace tidb_binlog {
namespace {

constexpr int64_t kHourMs = 3'600'000;

TEST(ParseGcRetentionTest, DigitsAreDays) {
  EXPECT_EQ(*ParseGcRetention("7"), 7 * kMillisecondsPerDay);
  EXPECT_EQ(*ParseGcRetention("1"), kMillisecondsPerDay);
  EXPECT_EQ(*ParseGcRetention(kDefaultGcSetting), kDefaultGcRetentionMilliseconds);
}

TEST(ParseGcRetentionTest, GoDurations) {
  EXPECT_EQ(*ParseGcRetention("12h"), 12 * kHourMs);
  EXPECT_EQ(*ParseGcRetention("90m"), 90 * 60'000);
  EXPECT_EQ(*ParseGcRetention("1h30m"), 90 * 60'000);
  EXPECT_EQ(*ParseGcRetention("1.5h"), 90 * 60'000);
  EXPECT_EQ(*ParseGcRetention("+2s"), 2'000);
  EXPECT_EQ(*ParseGcRetention("250ms"), 250);
}

TEST(ParseGcRetentionTest, ZeroAndNegativeAreRefusedWithUpstreamText) {
  EXPECT_EQ(ParseGcRetention("0").status().message(), "GC is 0, must bigger than 0");
  EXPECT_EQ(ParseGcRetention("0h").status().message(), "GC is 0h, must bigger than 0");
  EXPECT_EQ(ParseGcRetention("-1h").status().message(), "GC is -1h, must bigger than 0");
  EXPECT_EQ(ParseGcRetention("0").status().code(), StatusCode::kInvalidArgument);
}

TEST(ParseGcRetentionTest, MalformedSettingsNameTheGoError) {
  const std::string prefix = "unsupported gc time ";
  EXPECT_EQ(ParseGcRetention("abc").status().message(),
            "unsupported gc time abc, etc: use 7 for 7 day, 7h for 7 hour: "
            "time: invalid duration \"abc\"");
  EXPECT_EQ(ParseGcRetention("7x").status().message(),
            "unsupported gc time 7x, etc: use 7 for 7 day, 7h for 7 hour: "
            "time: unknown unit \"x\" in duration \"7x\"");
  EXPECT_EQ(ParseGcRetention("-7").status().message(),
            "unsupported gc time -7, etc: use 7 for 7 day, 7h for 7 hour: "
            "time: missing unit in duration \"-7\"");
  EXPECT_EQ(ParseGcRetention("").status().message(),
            "unsupported gc time , etc: use 7 for 7 day, 7h for 7 hour: "
            "time: invalid duration \"\"");
}

TEST(ParseGoDurationTest, MatchesGoForEdgeForms) {
  EXPECT_EQ(*ParseGoDuration("0"), 0);
  EXPECT_EQ(*ParseGoDuration("-0"), 0);
  EXPECT_EQ(*ParseGoDuration(".5s"), 500'000'000);
  EXPECT_EQ(*ParseGoDuration("1us"), 1'000);
  EXPECT_EQ(*ParseGoDuration("1\xC2\xB5s"), 1'000);
  EXPECT_EQ(*ParseGoDuration("-1.5h"), -5'400'000'000'000);
  EXPECT_EQ(ParseGoDuration(".s").status().message(), "time: invalid duration \".s\"");
  EXPECT_EQ(ParseGoDuration("3000000h").status().message(),
            "time: invalid duration \"3000000h\"");
  EXPECT_EQ(ParseGoDuration("1h ").status().message(),
            "time: unknown unit \"h \" in duration \"1h \"");
}

TEST(ValidatePumpOptionsTest, RefusesNonsense) {
  PumpOptions options;
  options.node_id = "p:8250";
  options.advertise_addr = "127.0.0.1:8250";
  EXPECT_TRUE(ValidatePumpOptions(options).ok());
  options.gc_retention_ms = 0;
  EXPECT_EQ(ValidatePumpOptions(options).message(), "GC is 0, must bigger than 0");
  options.gc_retention_ms = 1;
  options.heartbeat_interval_ms = 0;
  EXPECT_FALSE(ValidatePumpOptions(options).ok());
  options.heartbeat_interval_ms = 1;
  options.node_id.clear();
  EXPECT_FALSE(ValidatePumpOptions(options).ok());
}

TEST(DecidePumpNodeIdTest, NodeFileWinsAndIgnoresConfiguredId) {
  const NodeIdDecision decision = DecidePumpNodeId(std::string(" host-a:8250\n"), "cfg:1",
                                                   "host-b", 8250);
  EXPECT_EQ(decision.node_id, "host-a:8250");
  EXPECT_FALSE(decision.write_node_file);
  EXPECT_TRUE(decision.configured_id_ignored);
}

TEST(DecidePumpNodeIdTest, ConfiguredIdIsNotPersisted) {
  const NodeIdDecision decision = DecidePumpNodeId(std::nullopt, "cfg:1", "host-b", 8250);
  EXPECT_EQ(decision.node_id, "cfg:1");
  EXPECT_FALSE(decision.write_node_file);
  EXPECT_FALSE(decision.configured_id_ignored);
}

TEST(DecidePumpNodeIdTest, GeneratedIdIsHostnameAndPortAndPersisted) {
  const NodeIdDecision decision = DecidePumpNodeId(std::nullopt, "", "host-b", 8251);
  EXPECT_EQ(decision.node_id, "host-b:8251");
  EXPECT_TRUE(decision.write_node_file);
  // A blank .node file holds no id: generate one as if it were absent.
  EXPECT_EQ(DecidePumpNodeId(std::string(" \n"), "", "h", 1).node_id, "h:1");
}

}  // namespace
}  // namespace tidb_binlog
