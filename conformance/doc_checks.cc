// The public doc's examples (fixtures/doc-examples) judged against api.json: the command
// shown above each example must be a real invocation of the endpoint with documented path
// values, and the example response must fit the endpoint's shape, body style and, for
// /state, what upstream answers to that request. These checks need no target, so every
// report carries them; the doc's known errors are absorbed by conformance/ledger/doc.json.
#include <sstream>

#include "conformance/suite_internal.h"
#include "reference/core/go_json.h"

namespace tidb_binlog::conformance {
namespace {

namespace json = boost::json;

constexpr char kDocTarget[] = "doc";

struct DocCommand {
  bool invocation = false;  // "$curl ..." rather than a template line
  std::string method = "GET";
  std::string url;
  std::string path;
};

DocCommand ParseCommand(const std::string& command) {
  DocCommand c;
  std::istringstream in(command);
  std::string word;
  in >> word;
  c.invocation = word == "$curl";
  while (in >> word) {
    if (word == "-X") in >> c.method;
    else c.url = word;
  }
  size_t scheme = c.url.find("://");
  size_t slash = c.url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (slash != std::string::npos) c.path = c.url.substr(slash);
  return c;
}

std::vector<std::string> Split(const std::string& path) {
  std::vector<std::string> parts;
  std::istringstream in(path);
  for (std::string part; std::getline(in, part, '/');) {
    if (!part.empty()) parts.push_back(part);
  }
  return parts;
}

// Path values by template variable, or nullopt when `path` does not fit `pattern`.
std::optional<std::map<std::string, std::string>> MatchTemplate(const std::string& pattern,
                                                                const std::string& path) {
  std::vector<std::string> p = Split(pattern), v = Split(path);
  if (p.size() != v.size()) return std::nullopt;
  std::map<std::string, std::string> values;
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i].front() == '{') values[p[i].substr(1, p[i].size() - 2)] = v[i];
    else if (p[i] != v[i]) return std::nullopt;
  }
  return values;
}

void CheckCommand(SuiteContext& ctx, const EndpointSpec& e, const DocExample& ex,
                  const DocCommand& c, const std::string& prefix) {
  const bool matches = c.method == e.method && MatchTemplate(e.path, c.path).has_value();
  const bool concrete = c.invocation && c.url.find('{') == std::string::npos;
  ctx.Record(Level::kSmoke, prefix + ".command", kDocTarget, matches && concrete,
             "an executed command `$curl " + std::string(e.method == "GET" ? "" : "-X " + e.method + " ") +
                 "http://127.0.0.1:<port>" + e.path + "`",
             ex.command, e.doc_ref);
  std::optional<std::map<std::string, std::string>> values = MatchTemplate(e.path, c.path);
  for (const auto& [param, allowed] : e.path_enums) {
    if (allowed.empty()) continue;
    const std::string value = values ? (*values)[param] : "";
    const bool ok = std::find(allowed.begin(), allowed.end(), value) != allowed.end();
    std::string all;
    for (const std::string& a : allowed) all += (all.empty() ? "" : "|") + a;
    ctx.Record(Level::kSmoke, prefix + ".action", kDocTarget, ok, param + " one of " + all,
               value, e.upstream_ref);
  }
}

// For /state examples: upstream answers code 200 `apply action <a> success!` only for pause
// and close; anything else is code 3.
void CheckStateResponse(SuiteContext& ctx, const EndpointSpec& e, const DocCommand& c,
                        const json::value& body, const std::string& prefix) {
  std::optional<std::map<std::string, std::string>> values = MatchTemplate(e.path, c.path);
  const std::string action = values ? (*values)["Action"] : "";
  const auto& allowed = e.path_enums.at("Action");
  const bool valid = std::find(allowed.begin(), allowed.end(), action) != allowed.end();
  const json::object* o = body.if_object();
  const json::value* code = o != nullptr ? o->if_contains("code") : nullptr;
  const json::value* message = o != nullptr ? o->if_contains("message") : nullptr;
  const int64_t expected_code = valid ? 200 : 3;
  const bool ok = code != nullptr && code->is_int64() && code->as_int64() == expected_code;
  ctx.Record(Level::kSmoke, prefix + ".response", kDocTarget, ok,
             "code " + std::to_string(expected_code) + " for action `" + action + "`",
             "code " + (code ? JsonText(*code) : std::string("(none)")) + ", message " +
                 (message ? JsonText(*message) : std::string("(none)")),
             e.upstream_ref);
}

void CheckJsonExample(SuiteContext& ctx, const EndpointSpec& e, const DocExample& ex,
                      const DocCommand& c, const std::string& prefix) {
  std::optional<json::value> body = ParseJsonBody(ex.body);
  ctx.Record(Level::kSmoke, prefix + ".json", kDocTarget, body.has_value(), "valid JSON", ex.body,
             e.doc_ref);
  if (!body) return;
  std::vector<ShapeIssue> issues = Validate(*e.shape, *body, ctx.Tso());
  for (IssueClass cls : {IssueClass::kShape, IssueClass::kValue, IssueClass::kTso,
                         IssueClass::kOrder, IssueClass::kExtra}) {
    std::string expected, actual;
    for (const ShapeIssue& i : issues) {
      if (i.issue_class != cls) continue;
      expected += (expected.empty() ? "" : "; ") + i.pointer + ": " + i.expected;
      actual += (actual.empty() ? "" : "; ") + i.actual;
    }
    ctx.Record(Level::kSmoke, prefix + "." + IssueClassName(cls), kDocTarget, expected.empty(),
               expected.empty() ? "as api.json describes" : expected,
               actual.empty() ? "as described" : actual, e.upstream_ref);
  }
  const std::string canonical = e.body_style == BodyStyle::kEncoderJson ? EncoderJsonBody(*body)
                                                                        : RenderJsonBody(*body);
  ctx.Record(Level::kSmoke, prefix + ".body-style", kDocTarget, ex.body == canonical,
             "upstream's bytes: " + canonical, ex.body, e.upstream_ref);
  if (e.path_enums.count("Action")) CheckStateResponse(ctx, e, c, *body, prefix);
}

// /debug/binlog: protobuf compact text of the binlog found by the ts in the command.
void CheckTextExample(SuiteContext& ctx, const EndpointSpec& e, const DocExample& ex,
                      const DocCommand& c, const std::string& prefix) {
  std::optional<std::map<std::string, std::string>> values = MatchTemplate(e.path, c.path);
  const std::string ts = values ? (*values)["ts"] : "";
  const bool found = !ts.empty() && (ex.body.find("commit_ts:" + ts) != std::string::npos ||
                                     ex.body.find("start_ts:" + ts) != std::string::npos);
  ctx.Record(Level::kSmoke, prefix + ".ts", kDocTarget, found,
             "the binlog whose start_ts or commit_ts is " + ts, ex.body, e.upstream_ref);
  const bool starts_with_text = ex.body.rfind("tp:", 0) == 0;
  ctx.Record(Level::kSmoke, prefix + ".body-style", kDocTarget, starts_with_text,
             "upstream's text starts with `tp:` (Binlog.String(), no indentation)", ex.body,
             e.upstream_ref);
}

}  // namespace

void RunDocExampleChecks(SuiteContext& ctx) {
  for (const DocExample& ex : ctx.spec.doc_examples) {
    const EndpointSpec& e = ctx.spec.Endpoint(ex.endpoint);
    const std::string prefix = "doc." + e.id;
    DocCommand command = ParseCommand(ex.command);
    CheckCommand(ctx, e, ex, command, prefix);
    if (e.shape) CheckJsonExample(ctx, e, ex, command, prefix);
    else CheckTextExample(ctx, e, ex, command, prefix);
  }
}

}  // namespace tidb_binlog::conformance
