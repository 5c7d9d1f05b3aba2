#include "conformance/suite.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <thread>

#include <boost/json/parse.hpp>

#include "conformance/suite_internal.h"
#include "reference/core/go_json.h"

namespace tidb_binlog::conformance {
namespace {

namespace json = boost::json;

// Request bodies longer than this are shown in reproducers as a generated string.
constexpr size_t kReproducerBodyCharsMax = 200;
// Bodies longer than this are cut in DescribeResponse.
constexpr size_t kDescribedBodyCharsMax = 400;

std::string ShellQuote(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

std::string MediaType(std::string_view content_type) {
  std::string media(content_type.substr(0, content_type.find(';')));
  while (!media.empty() && media.back() == ' ') media.pop_back();
  std::transform(media.begin(), media.end(), media.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return media;
}

void JudgeContentType(SuiteContext& ctx, const EndpointSpec& e, const std::string& prefix,
                      const std::string& label, const Exchange& x) {
  const std::string actual = ContentType(*x.response);
  const std::string media = MediaType(actual);
  const bool portable = std::find(e.content_types_portable.begin(), e.content_types_portable.end(),
                                  media) != e.content_types_portable.end();
  std::string allowed;
  for (const std::string& t : e.content_types_portable) allowed += (allowed.empty() ? "" : " or ") + t;
  ctx.Record(Level::kSmoke, prefix + ".content-type", label, portable, allowed, actual,
             e.upstream_ref, &x);
  ctx.Record(Level::kExact, prefix + ".content-type-exact", label, actual == e.content_type,
             e.content_type, actual, e.upstream_ref, &x);
}

void JudgeShape(SuiteContext& ctx, const EndpointSpec& e, const std::string& prefix,
                const std::string& label, const Exchange& x, const json::value& body) {
  std::vector<ShapeIssue> issues = Validate(*e.shape, body, ctx.Tso());
  const std::pair<IssueClass, Level> classes[] = {
      {IssueClass::kShape, Level::kSmoke}, {IssueClass::kValue, Level::kPortable},
      {IssueClass::kTso, Level::kPortable}, {IssueClass::kOrder, Level::kExact},
      {IssueClass::kExtra, Level::kExact}};
  for (const auto& [issue_class, level] : classes) {
    std::string expected, actual;
    for (const ShapeIssue& issue : issues) {
      if (issue.issue_class != issue_class) continue;
      expected += (expected.empty() ? "" : "; ") + issue.pointer + ": " + issue.expected;
      actual += (actual.empty() ? "" : "; ") + issue.pointer + ": " + issue.actual;
    }
    ctx.Record(level, prefix + "." + IssueClassName(issue_class), label, expected.empty(),
               expected.empty() ? "as api.json describes" : expected, actual.empty() ? "as described" : actual,
               e.upstream_ref, &x);
  }
}

void JudgeJsonBytes(SuiteContext& ctx, const EndpointSpec& e, const std::string& prefix,
                    const std::string& label, const Exchange& x, const json::value& body) {
  std::string canonical;
  if (e.body_style == BodyStyle::kEncoderJson) canonical = EncoderJsonBody(body);
  if (e.body_style == BodyStyle::kRenderJson) canonical = RenderJsonBody(body);
  const std::string style = e.body_style == BodyStyle::kEncoderJson
                                ? "compact JSON + \"\\n\" (json.NewEncoder)"
                                : "2-space indented JSON + \"\\n\" (render IndentJSON)";
  ctx.Record(Level::kExact, prefix + ".body-bytes", label, x.response->body() == canonical,
             style + ": " + canonical, x.response->body(), e.upstream_ref, &x);
}

void JudgeText(SuiteContext& ctx, const EndpointSpec& e, const std::string& prefix,
               const std::string& label, const Exchange& x) {
  const std::string& body = x.response->body();
  if (!e.text_one_of.empty()) {
    const bool ok = std::find(e.text_one_of.begin(), e.text_one_of.end(), body) != e.text_one_of.end();
    std::string expected;
    for (const std::string& t : e.text_one_of) expected += (expected.empty() ? "" : " or ") + ShellQuote(t);
    ctx.Record(Level::kPortable, prefix + ".body", label, ok, expected, ShellQuote(body),
               e.upstream_ref, &x);
  }
}

}  // namespace

Result<Profile> ParseProfile(std::string_view name) {
  if (name == "smoke") return Profile::kSmoke;
  if (name == "portable") return Profile::kPortable;
  if (name == "upstream-exact") return Profile::kUpstreamExact;
  if (name == "disruptive") return Profile::kDisruptive;
  return Status::InvalidArgument("unknown profile " + std::string(name) +
                                 " (smoke, portable, upstream-exact, disruptive)");
}

const char* ProfileName(Profile profile) {
  switch (profile) {
    case Profile::kSmoke: return "smoke";
    case Profile::kPortable: return "portable";
    case Profile::kUpstreamExact: return "upstream-exact";
    case Profile::kDisruptive: return "disruptive";
  }
  return "?";
}

SuiteContext::SuiteContext(const ApiSpec& spec_in, const SuiteTargets& targets_in,
                           const SuiteOptions& options_in)
    : spec(spec_in), targets(targets_in), options(options_in) {
  if (!options.now_ms) {
    options.now_ms = [] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
  if (!options.sleep) options.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
}

bool SuiteContext::Enabled(Level level) const {
  switch (level) {
    case Level::kSmoke: return true;
    case Level::kPortable: return options.profile != Profile::kSmoke;
    case Level::kExact: return options.profile == Profile::kUpstreamExact;
    case Level::kDisruptive: return options.profile == Profile::kDisruptive;
  }
  return false;
}

void SuiteContext::Record(Level level, std::string id, const std::string& target, bool ok,
                          std::string expected, std::string actual, std::string reference,
                          const Exchange* exchange) {
  if (!Enabled(level)) return;
  CheckResult r;
  r.id = std::move(id);
  r.target = target;
  r.outcome = ok ? Outcome::kPass : Outcome::kFail;
  r.expected = std::move(expected);
  r.actual = std::move(actual);
  r.reference = std::move(reference);
  if (exchange != nullptr && !ok) r.reproducer = MakeReproducer(*exchange);
  results.push_back(std::move(r));
}

void SuiteContext::Skip(Level level, std::string id, const std::string& target,
                        std::string reason) {
  if (!Enabled(level)) return;
  CheckResult r;
  r.id = std::move(id);
  r.target = target;
  r.outcome = Outcome::kSkip;
  r.actual = std::move(reason);
  results.push_back(std::move(r));
}

TsoRule SuiteContext::Tso() const { return TsoRule{options.now_ms(), options.tso_skew_ms}; }

bool SuiteContext::WaitUntil(const std::function<bool()>& done) {
  const auto budget = options.settle_timeout;
  std::chrono::milliseconds waited(0);
  while (true) {
    if (done()) return true;
    if (waited >= budget) return false;
    options.sleep(options.poll_interval);
    waited += options.poll_interval;
  }
}

Exchange SuiteContext::Call(Target& target, std::string_view method, std::string_view path,
                            std::string body) {
  return target.Send(MakeRequest(method, path, target.Authority(), std::move(body)));
}

std::string SuiteContext::Label(const Target& target) const {
  for (size_t i = 0; i < targets.pumps.size(); ++i) {
    if (targets.pumps[i] == &target) return "pump " + target.base_url();
  }
  return "drainer " + target.base_url();
}

Reproducer MakeReproducer(const Exchange& x) {
  std::string curl = "curl -sS -i";
  const std::string method(x.request.method_string());
  if (method == "HEAD") curl += " -I";
  else if (method != "GET") curl += " -X " + method;
  curl += " --path-as-is";
  const std::string& body = x.request.body();
  if (!body.empty()) {
    if (body.size() > kReproducerBodyCharsMax && body.find_first_not_of(body[0]) == std::string::npos) {
      curl += " --data-binary \"$(head -c " + std::to_string(body.size()) + " /dev/zero | tr '\\0' " +
              ShellQuote(std::string(1, body[0])) + ")\"";
    } else {
      curl += " --data-binary " + ShellQuote(body);
    }
  }
  curl += ' ';
  curl.append(ShellQuote(x.url));
  return Reproducer{curl};
}

std::string ContentType(const HttpResponse& response) {
  auto it = response.find(boost::beast::http::field::content_type);
  return it == response.end() ? std::string() : std::string(it->value());
}

std::string DescribeResponse(const Exchange& x) {
  if (!x.response) return "no reply: " + x.error;
  std::string body = x.response->body();
  if (body.size() > kDescribedBodyCharsMax) body = body.substr(0, kDescribedBodyCharsMax) + "...";
  return "HTTP " + std::to_string(x.response->result_int()) + ", Content-Type: " +
         ContentType(*x.response) + ", body: " + ShellQuote(body);
}

std::optional<json::value> ParseJsonBody(std::string_view body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec) return std::nullopt;
  return v;
}

std::optional<json::value> JudgeExchange(SuiteContext& ctx, const EndpointSpec& e,
                                         const std::string& prefix, const Target& target,
                                         const Exchange& x) {
  const std::string label = ctx.Label(target);
  if (!x.response) {
    ctx.Record(Level::kSmoke, prefix + ".status", label, false, "HTTP " + std::to_string(e.status),
               "no reply: " + x.error, e.upstream_ref, &x);
    return std::nullopt;
  }
  ctx.Record(Level::kSmoke, prefix + ".status", label, x.response->result_int() == e.status,
             "HTTP " + std::to_string(e.status), DescribeResponse(x), e.upstream_ref, &x);
  JudgeContentType(ctx, e, prefix, label, x);
  if (!e.shape) {
    JudgeText(ctx, e, prefix, label, x);
    return std::nullopt;
  }
  std::optional<json::value> body = ParseJsonBody(x.response->body());
  ctx.Record(Level::kSmoke, prefix + ".json", label, body.has_value(), "a JSON body",
             DescribeResponse(x), e.upstream_ref, &x);
  if (!body) return std::nullopt;
  JudgeShape(ctx, e, prefix, label, x, *body);
  JudgeJsonBytes(ctx, e, prefix, label, x, *body);
  return body;
}

std::map<std::string, json::object> PumpRecords(const json::value& status) {
  std::map<std::string, json::object> records;
  const json::object* root = status.if_object();
  const json::value* map = root != nullptr ? root->if_contains("status") : nullptr;
  if (map == nullptr || !map->is_object()) return records;
  for (const auto& member : map->as_object()) {
    if (member.value().is_object()) records[std::string(member.key())] = member.value().as_object();
  }
  return records;
}

namespace {

std::optional<std::string> IdByHost(const std::vector<json::object>& records,
                                    const std::string& authority) {
  std::vector<std::string> live;
  for (const json::object& r : records) {
    const json::value* host = r.if_contains("host");
    const json::value* id = r.if_contains("nodeId");
    if (id == nullptr || !id->is_string()) continue;
    if (host != nullptr && host->is_string() && host->as_string() == authority) {
      return std::string(id->as_string());
    }
    const json::value* state = r.if_contains("state");
    if (state != nullptr && state->is_string() && state->as_string() != "offline") {
      live.emplace_back(id->as_string());
    }
  }
  if (live.size() == 1) return live.front();
  return std::nullopt;
}

}  // namespace

std::optional<std::string> DiscoverPumpNodeId(SuiteContext& ctx, Target& pump) {
  Exchange x = ctx.Call(pump, "GET", "/status");
  if (!x.response) return std::nullopt;
  std::optional<json::value> body = ParseJsonBody(x.response->body());
  if (!body) return std::nullopt;
  std::vector<json::object> records;
  for (auto& [id, record] : PumpRecords(*body)) records.push_back(record);
  return IdByHost(records, pump.Authority());
}

std::optional<std::string> DiscoverDrainerNodeId(SuiteContext& ctx) {
  if (ctx.targets.drainer == nullptr || ctx.targets.pumps.empty()) return std::nullopt;
  Exchange x = ctx.Call(*ctx.targets.pumps.front(), "GET", "/drainers");
  if (!x.response) return std::nullopt;
  std::optional<json::value> body = ParseJsonBody(x.response->body());
  if (!body || !body->is_array()) return std::nullopt;
  std::vector<json::object> records;
  for (const json::value& v : body->as_array()) {
    if (v.is_object()) records.push_back(v.as_object());
  }
  return IdByHost(records, ctx.targets.drainer->Authority());
}

std::vector<CheckResult> RunSuite(const ApiSpec& spec, const SuiteTargets& targets,
                                  const SuiteOptions& options) {
  SuiteContext ctx(spec, targets, options);
  RunDocExampleChecks(ctx);
  RunEndpointChecks(ctx);
  RunMetricsChecks(ctx);
  RunCrossChecks(ctx);
  RunBadInputChecks(ctx);
  RunScenarios(ctx);
  return std::move(ctx.results);
}

}  // namespace tidb_binlog::conformance
