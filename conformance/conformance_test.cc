// Goal: the suite's own machinery judges correctly — the spec files load and describe every
// documented endpoint; the shape validator keeps 64-bit integers exact and tells null from
// [] and key order from content; every doc example is judged, and fails exactly where the
// doc ledger says (so the doc's errors show in every report); the ledger's xfail/xpass
// rules; the exposition parser's histogram and monotonicity rules. Method: load the real
// data files and feed hand-written bodies.
#include <gtest/gtest.h>

#include <set>

#include <boost/json/parse.hpp>

#include "conformance/api_spec.h"
#include "conformance/exposition_parser.h"
#include "conformance/json_shape.h"
#include "conformance/result.h"
#include "conformance/suite_internal.h"

namespace tidb_binlog::conformance {
namespace {

namespace json = boost::json;

// 2024-01-01T00:00:00Z: doc TSOs (2019) and test TSOs are plausible at this "now".
constexpr int64_t kTestNowMs = 1'704'067'200'000;
const TsoRule kRule{kTestNowMs, 600'000};

ApiSpec LoadSpec() {
  Result<ApiSpec> spec = LoadApiSpec(DefaultSpecDir(), DefaultFixturesDir());
  EXPECT_TRUE(spec.ok()) << spec.status().ToString();
  return std::move(spec).value();
}

std::vector<ShapeIssue> ValidateBody(const ApiSpec& spec, const char* endpoint, const char* body) {
  return Validate(*spec.Endpoint(endpoint).shape, json::parse(body), kRule);
}

bool HasIssue(const std::vector<ShapeIssue>& issues, IssueClass c) {
  return std::any_of(issues.begin(), issues.end(), [c](const ShapeIssue& i) { return i.issue_class == c; });
}

TEST(ConformanceSpecTest, DescribesEveryDocumentedEndpointWithItsReferences) {
  ApiSpec spec = LoadSpec();
  std::set<std::string> ids;
  for (const EndpointSpec& e : spec.endpoints) {
    ids.insert(e.id);
    EXPECT_FALSE(e.doc_ref.empty()) << e.id;
    EXPECT_NE(e.upstream_ref.find("UPSTREAM.md"), std::string::npos) << e.id;
    EXPECT_FALSE(e.content_type.empty()) << e.id;
  }
  EXPECT_EQ(ids, (std::set<std::string>{"pump.status", "pump.metrics", "pump.drainers",
                                        "pump.state", "pump.debug-binlog", "pump.gc-trigger",
                                        "drainer.status", "drainer.metrics", "drainer.commit-ts",
                                        "drainer.state"}));
  EXPECT_EQ(spec.doc_examples.size(), 7u);
  EXPECT_EQ(spec.catalogues.size(), 2u);
}

TEST(ConformanceSpecTest, UpstreamExampleBodiesValidate) {
  ApiSpec spec = LoadSpec();
  EXPECT_TRUE(ValidateBody(spec, "pump.status",
      R"({"status":{"b:8250":{"nodeId":"b:8250","host":"127.0.0.1:8250","state":"online","isAlive":false,"score":0,"label":null,"maxCommitTS":412518831548007863,"updateTS":412518831338292471}},"CommitTS":412518831849473230,"Checkpoint":{},"ErrMsg":""})").empty());
  EXPECT_TRUE(ValidateBody(spec, "drainer.status", R"({"PumpPos":null,"Synced":false,"LastTS":0,"TsMap":""})").empty());
  EXPECT_TRUE(ValidateBody(spec, "pump.drainers", "null").empty());
  EXPECT_TRUE(ValidateBody(spec, "pump.state", R"({"message":"invalide action stop","code":3,"data":null})").empty());
}

TEST(ConformanceSpecTest, Int64IsComparedExactlyNeverThroughADouble) {
  ApiSpec spec = LoadSpec();
  // The doc's TSO is above 2^53: a double would print it as 412518831548007900.
  json::value v = json::parse(R"({"message":"get drainer's latest ts success!","code":200,"data":{"ts":412518831548007863}})");
  EXPECT_EQ(v.at("data").at("ts").as_int64(), 412518831548007863);
  EXPECT_TRUE(Validate(*spec.Endpoint("drainer.commit-ts").shape, v, kRule).empty());
  // Beyond int64, or written as a float: not an int64.
  EXPECT_TRUE(HasIssue(ValidateBody(spec, "drainer.commit-ts",
      R"({"message":"get drainer's latest ts success!","code":200,"data":{"ts":9223372036854775808}})"), IssueClass::kShape));
  EXPECT_TRUE(HasIssue(ValidateBody(spec, "drainer.commit-ts",
      R"({"message":"get drainer's latest ts success!","code":200,"data":{"ts":4.125188315480079e17}})"), IssueClass::kShape));
  // A TSO from before TiDB existed (a truncated value) fails the TSO rule.
  EXPECT_TRUE(HasIssue(ValidateBody(spec, "drainer.commit-ts",
      R"({"message":"get drainer's latest ts success!","code":200,"data":{"ts":4125188315}})"), IssueClass::kTso));
}

TEST(ConformanceSpecTest, NullAndEmptyArrayAreDifferent) {
  ApiSpec spec = LoadSpec();
  std::vector<ShapeIssue> issues = ValidateBody(spec, "pump.drainers", "[]");
  ASSERT_TRUE(HasIssue(issues, IssueClass::kShape));
  EXPECT_NE(issues[0].expected.find("null"), std::string::npos);
}

TEST(ConformanceSpecTest, KeyOrderIsItsOwnIssueClass) {
  ApiSpec spec = LoadSpec();
  std::vector<ShapeIssue> issues = ValidateBody(spec, "drainer.status", R"({"TsMap":"","LastTS":0,"Synced":false,"PumpPos":null})");
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].issue_class, IssueClass::kOrder);
  issues = ValidateBody(spec, "drainer.status", R"({"PumpPos":{"b":1,"a":2},"Synced":false,"LastTS":0,"TsMap":""})");
  EXPECT_TRUE(HasIssue(issues, IssueClass::kOrder));  // Go sorts map keys
  EXPECT_TRUE(HasIssue(issues, IssueClass::kTso));    // 1 and 2 are not TSOs
}

TEST(ConformanceSpecTest, ValueRulesCatchIsAliveScoreLabelAndStates) {
  ApiSpec spec = LoadSpec();
  std::vector<ShapeIssue> issues = ValidateBody(spec, "pump.drainers",
      R"([{"nodeId":"d","host":"h:1","state":"stopped","isAlive":true,"score":1,"label":{"labels":{}},"maxCommitTS":0,"updateTS":0}])");
  int values = 0;
  for (const ShapeIssue& i : issues) values += i.issue_class == IssueClass::kValue;
  EXPECT_EQ(values, 4);  // state, isAlive, score, label
}

std::vector<CheckResult> DocChecks() {
  static const ApiSpec spec = LoadSpec();
  SuiteOptions options;
  options.now_ms = [] { return kTestNowMs; };
  SuiteContext ctx(spec, SuiteTargets{}, options);
  RunDocExampleChecks(ctx);
  return ctx.results;
}

TEST(ConformanceDocTest, EveryDocExampleIsJudgedAndFailsOnlyWhereTheLedgerSays) {
  std::vector<CheckResult> results = DocChecks();
  Result<Ledger> ledger = LoadLedger(DefaultLedgerDir() / "doc.json");
  ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
  ApplyLedger(*ledger, &results);
  std::set<std::string> deviations, judged;
  for (const CheckResult& r : results) {
    judged.insert(r.id.substr(0, r.id.rfind('.')));
    EXPECT_FALSE(IsUnexpected(r.outcome)) << r.id << ": " << r.expected << " / " << r.actual;
    if (r.outcome == Outcome::kXFail) deviations.insert(r.ledger_id);
  }
  EXPECT_EQ(deviations, (std::set<std::string>{"DEV-001", "DEV-002", "DEV-003", "DEV-008", "DEV-011"}));
  EXPECT_EQ(judged.size(), 7u);
}

TEST(ConformanceDocTest, WithoutTheLedgerTheDocErrorsFail) {
  std::set<std::string> failed;
  for (const CheckResult& r : DocChecks()) {
    if (r.outcome == Outcome::kFail) failed.insert(r.id);
  }
  EXPECT_TRUE(failed.count("doc.pump.state.action"));     // `stop`
  EXPECT_TRUE(failed.count("doc.drainer.state.shape"));   // no `data`
  EXPECT_TRUE(failed.count("doc.pump.status.body-style"));  // pretty-printed
  EXPECT_TRUE(failed.count("doc.drainer.commit-ts.command"));
  EXPECT_FALSE(failed.count("doc.pump.status.shape"));
}

TEST(ConformanceLedgerTest, StrictXfail) {
  Ledger ledger;
  ledger.entries.push_back({"DEV-X", "a.*.c", "boom", "why", "ref"});
  std::vector<CheckResult> results(3);
  results[0].id = "a.b.c"; results[0].outcome = Outcome::kFail; results[0].actual = "it went boom";
  results[1].id = "a.d.c"; results[1].outcome = Outcome::kFail; results[1].actual = "other failure";
  results[2].id = "a.e.c"; results[2].outcome = Outcome::kPass;
  ApplyLedger(ledger, &results);
  EXPECT_EQ(results[0].outcome, Outcome::kXFail);
  EXPECT_EQ(results[1].outcome, Outcome::kFail);   // another signature is a real failure
  EXPECT_EQ(results[2].outcome, Outcome::kXPass);  // a stale entry fails the run
  EXPECT_TRUE(IsUnexpected(results[2].outcome));
}

TEST(ConformanceExpositionTest, HistogramAndScrapeRules) {
  const std::string good =
      "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2\n"
      "# TYPE c counter\nc 5\n";
  ParsedExposition a = ParseExposition(good);
  EXPECT_TRUE(a.errors.empty());
  EXPECT_TRUE(CheckHistograms(a).empty());
  ParsedExposition bad = ParseExposition(
      "# TYPE h histogram\nh_bucket{le=\"1\"} 3\nh_bucket{le=\"2\"} 2\nh_sum 3\nh_count 2\n");
  EXPECT_EQ(CheckHistograms(bad).size(), 2u);  // not cumulative, no +Inf bucket
  ParsedExposition later = ParseExposition(
      "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 2\n");
  EXPECT_EQ(CompareScrapes(a, later).size(), 1u);  // c disappeared; h_sum may go down
  EXPECT_FALSE(ParseExposition("x{a=\"1\" 2\n").errors.empty());
  EXPECT_FALSE(ParseExposition("x 1").errors.empty());  // no final newline
}

}  // namespace
}  // namespace tidb_binlog::conformance
