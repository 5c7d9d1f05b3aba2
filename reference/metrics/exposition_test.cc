// Goal: the text exposition is byte-identical to what client_golang's promhttp writes for the
// same metrics. Method: Go-formatted numbers checked against strings Go prints, a golden
// exposition written by hand from expfmt's rules, and exact round-trips of printed values.
#include "reference/metrics/exposition.h"

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>

#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "reference/metrics/exposition_test_util.h"

namespace tidb_binlog {
namespace {

TEST(FormatGoFloatTest, MatchesGoStrconvShortestG) {
  // Expected strings are what Go's strconv.FormatFloat(v, 'g', -1, 64) prints.
  EXPECT_EQ(FormatGoFloat(0), "0");
  EXPECT_EQ(FormatGoFloat(-0.0), "0");  // expfmt's writeFloat special-cases f == 0
  EXPECT_EQ(FormatGoFloat(1), "1");
  EXPECT_EQ(FormatGoFloat(-1), "-1");
  EXPECT_EQ(FormatGoFloat(-2.5), "-2.5");
  EXPECT_EQ(FormatGoFloat(5e-05), "5e-05");
  EXPECT_EQ(FormatGoFloat(0.0001), "0.0001");
  EXPECT_EQ(FormatGoFloat(0.00012), "0.00012");
  EXPECT_EQ(FormatGoFloat(6.5536), "6.5536");
  EXPECT_EQ(FormatGoFloat(100000), "100000");
  EXPECT_EQ(FormatGoFloat(123456.5), "123456.5");
  EXPECT_EQ(FormatGoFloat(999999), "999999");
  EXPECT_EQ(FormatGoFloat(1e6), "1e+06");
  EXPECT_EQ(FormatGoFloat(1048576), "1.048576e+06");
  EXPECT_EQ(FormatGoFloat(1700000000123.0), "1.700000000123e+12");
  EXPECT_EQ(FormatGoFloat(1e21), "1e+21");
  EXPECT_EQ(FormatGoFloat(1e100), "1e+100");
  EXPECT_EQ(FormatGoFloat(1.23456789e-07), "1.23456789e-07");
  EXPECT_EQ(FormatGoFloat(1e-300), "1e-300");
  EXPECT_EQ(FormatGoFloat(5e-324), "5e-324");
  EXPECT_EQ(FormatGoFloat(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(FormatGoFloat(18446744073709551615.0), "1.8446744073709552e+19");
  EXPECT_EQ(FormatGoFloat(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(FormatGoFloat(INFINITY), "+Inf");
  EXPECT_EQ(FormatGoFloat(-INFINITY), "-Inf");
}

TEST(FormatGoFloatTest, EveryPrintedValueParsesBackExactly) {
  // Spread over magnitudes, including values whose 17th digit matters.
  double value = 1.0 / 3.0;
  for (int i = 0; i < 2000; ++i) {
    value = value * 1.7 + 1e-9 * i;
    if (value > 1e300) value = 1e-300 * (i + 1) / 3.0;
    for (double v : {value, -value, 1 / value}) {
      std::string text = FormatGoFloat(v);
      ASSERT_EQ(std::strtod(text.c_str(), nullptr), v) << text;
    }
  }
}

TEST(ExposeTextTest, GoldenExpositionFollowsClientGolangRules) {
  prometheus::Registry registry;
  auto& requests = prometheus::BuildCounter()
                       .Name("zz_requests")
                       .Help("Requests \\ served\nby path.")
                       .Register(registry);
  requests.Add({{"path", "/b"}, {"code", "200"}}).Increment(3);
  requests.Add({{"path", "/a"}, {"code", "200"}}).Increment();
  requests.Add({{"path", "q\"\\\n"}, {"code", "500"}});
  prometheus::BuildGauge().Name("bb_unused").Help("Never used.").Register(registry);
  prometheus::BuildGauge()
      .Name("aa_temperature")
      .Help("Temperature.")
      .Register(registry)
      .Add({})
      .Set(1700000000123.0);
  auto& latency = prometheus::BuildHistogram()
                      .Name("mm_latency_seconds")
                      .Help("Latency.")
                      .Register(registry)
                      .Add({{"method", "Get"}}, prometheus::Histogram::BucketBoundaries{
                                                    5e-05, 0.0001, 1e6});
  latency.Observe(0.5);
  latency.Observe(0.25);
  latency.Observe(3e6);

  EXPECT_EQ(ExposeText({&registry}), R"EXP(# HELP aa_temperature Temperature.
# TYPE aa_temperature gauge
aa_temperature 1.700000000123e+12
# HELP mm_latency_seconds Latency.
# TYPE mm_latency_seconds histogram
mm_latency_seconds_bucket{method="Get",le="5e-05"} 0
mm_latency_seconds_bucket{method="Get",le="0.0001"} 0
mm_latency_seconds_bucket{method="Get",le="1e+06"} 2
mm_latency_seconds_bucket{method="Get",le="+Inf"} 3
mm_latency_seconds_sum{method="Get"} 3.00000075e+06
mm_latency_seconds_count{method="Get"} 3
# HELP zz_requests Requests \\ served\nby path.
# TYPE zz_requests counter
zz_requests{code="200",path="/a"} 1
zz_requests{code="200",path="/b"} 3
zz_requests{code="500",path="q\"\\\n"} 0
)EXP");
}

TEST(ExposeTextTest, VectorFamilyAppearsOnlyAfterFirstUseAndPlainMetricsAtZero) {
  prometheus::Registry registry;
  auto& errors = prometheus::BuildCounter().Name("errors").Help("e").Register(registry);
  prometheus::BuildCounter().Name("plain_total").Help("p").Register(registry).Add({});
  EXPECT_EQ(ExposeText({&registry}), "# HELP plain_total p\n# TYPE plain_total counter\n"
                                     "plain_total 0\n");
  errors.Add({{"type", "read"}});
  EXPECT_EQ(ExposeText({&registry}),
            "# HELP errors e\n# TYPE errors counter\nerrors{type=\"read\"} 0\n"
            "# HELP plain_total p\n# TYPE plain_total counter\nplain_total 0\n");
}

TEST(ExposeTextTest, FamiliesFromSeveralCollectablesAreMergedAndSorted) {
  prometheus::Registry first, second;
  prometheus::BuildGauge().Name("b").Help("b").Register(first).Add({}).Set(2);
  prometheus::BuildGauge().Name("a").Help("a").Register(second).Add({}).Set(1);
  EXPECT_EQ(ExposeText({&first, &second}),
            "# HELP a a\n# TYPE a gauge\na 1\n# HELP b b\n# TYPE b gauge\nb 2\n");
}

TEST(ExposeTextTest, HistogramLinesAreCumulativeAndEndWithInf) {
  prometheus::Registry registry;
  auto& h = prometheus::BuildHistogram().Name("h").Help("h").Register(registry).Add(
      {}, prometheus::Histogram::BucketBoundaries{1, 2, 4});
  for (double v : {0.5, 1.5, 1.5, 3.0, 100.0}) h.Observe(v);
  EXPECT_EQ(ExposeText({&registry}),
            "# HELP h h\n# TYPE h histogram\n"
            "h_bucket{le=\"1\"} 1\nh_bucket{le=\"2\"} 3\nh_bucket{le=\"4\"} 4\n"
            "h_bucket{le=\"+Inf\"} 5\nh_sum 106.5\nh_count 5\n");
}

TEST(ExposeTextTest, ContentTypeIsPromhttpText004) {
  EXPECT_STREQ(kMetricsContentType, "text/plain; version=0.0.4; charset=utf-8");
}

// The promtool check the catalogue tests rely on must really fail on unparseable text and
// accept lint-only findings.
TEST(PromtoolCheckTest, ParseErrorsFailAndLintFindingsDoNot) {
  if (!testing_util::RunPromtool("")) GTEST_SKIP() << "promtool is not installed";
  EXPECT_NONFATAL_FAILURE(testing_util::PromtoolLintFindings("# TYPE x counter\nx{ 1\n"),
                          "parsing error");
  std::optional<std::vector<std::string>> findings = testing_util::PromtoolLintFindings(
      "# HELP e_count e\n# TYPE e_count counter\ne_count 1\n");
  ASSERT_TRUE(findings.has_value());
  EXPECT_EQ(findings->size(), 2u);  // no _total suffix; _count suffix on a counter
}

}  // namespace
}  // namespace tidb_binlog
