#include "conformance/api_spec.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <boost/json/parse.hpp>
#include <boost/json/value_to.hpp>

#include "reference/core/assert.h"

namespace tidb_binlog::conformance {
namespace {

namespace json = boost::json;

std::string Str(const json::object& o, const char* key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

bool Flag(const json::object& o, const char* key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_bool() && v->as_bool();
}

std::vector<std::string> Strings(const json::value* v) {
  std::vector<std::string> out;
  if (v == nullptr) return out;
  for (const json::value& e : v->as_array()) out.emplace_back(e.as_string());
  return out;
}

Result<BodyStyle> ParseBodyStyle(std::string_view name) {
  if (name == "encoder-json") return BodyStyle::kEncoderJson;
  if (name == "render-json") return BodyStyle::kRenderJson;
  if (name == "text") return BodyStyle::kText;
  if (name == "text-line") return BodyStyle::kTextLine;
  if (name == "prometheus-text") return BodyStyle::kPrometheusText;
  return Status::InvalidArgument("unknown body_style " + std::string(name));
}

Result<json::value> ParseJsonFile(const std::filesystem::path& path) {
  Result<std::string> text = ReadTextFile(path);
  if (!text.ok()) return text.status();
  boost::system::error_code ec;
  json::value v = json::parse(*text, ec);
  if (ec) return Status::InvalidArgument(path.string() + ": " + ec.message());
  return v;
}

Result<EndpointSpec> ParseEndpoint(const json::object& o, const ShapeTable& shapes) {
  EndpointSpec e;
  e.id = Str(o, "id");
  e.service = Str(o, "service");
  e.method = Str(o, "method");
  e.any_method = Flag(o, "any_method");
  e.path = Str(o, "path");
  e.status = o.at("status").to_number<unsigned>();
  e.content_type = Str(o, "content_type");
  e.content_types_portable = Strings(o.if_contains("content_types_portable"));
  Result<BodyStyle> style = ParseBodyStyle(Str(o, "body_style"));
  if (!style.ok()) return style.status();
  e.body_style = *style;
  if (const json::value* shape = o.if_contains("shape")) {
    Result<ShapePtr> parsed = ParseShape(*shape, shapes);
    if (!parsed.ok()) return parsed.status();
    e.shape = *parsed;
  }
  if (const json::value* params = o.if_contains("path_params")) {
    for (const auto& p : params->as_object()) {
      e.path_enums[std::string(p.key())] = Strings(p.value().as_object().if_contains("enum"));
    }
  }
  e.text_one_of = Strings(o.if_contains("text_one_of"));
  e.unordered_array = Flag(o, "unordered_array");
  e.disruptive = Flag(o, "disruptive");
  e.mutating = Flag(o, "mutating");
  e.metrics_catalogue = Str(o, "metrics_catalogue");
  e.doc_ref = Str(o, "doc_ref");
  e.upstream_ref = Str(o, "upstream_ref");
  if (e.id.empty() || e.path.empty() || e.doc_ref.empty() || e.upstream_ref.empty()) {
    return Status::InvalidArgument("endpoint " + e.id + " lacks id, path, doc_ref or upstream_ref");
  }
  return e;
}

MetricsCatalogue ParseCatalogue(const json::object& o) {
  MetricsCatalogue c;
  for (const json::value& f : o.at("families").as_array()) {
    const json::object& fo = f.as_object();
    MetricFamilySpec family;
    family.name = Str(fo, "name");
    family.type = Str(fo, "type");
    family.labels = Strings(fo.if_contains("labels"));
    std::sort(family.labels.begin(), family.labels.end());
    family.presence = Str(fo, "presence") == "lazy" ? MetricPresence::kLazy : MetricPresence::kAlways;
    c.families.push_back(std::move(family));
  }
  for (std::string& n : Strings(o.if_contains("never"))) c.never.insert(std::move(n));
  return c;
}

Status LoadDocExamples(const std::filesystem::path& dir, ApiSpec* spec) {
  Result<json::value> index = ParseJsonFile(dir / "examples.json");
  if (!index.ok()) return index.status();
  for (const json::value& e : index->at("examples").as_array()) {
    const json::object& o = e.as_object();
    DocExample example{Str(o, "file"), Str(o, "endpoint"), Str(o, "doc_section"),
                       Str(o, "command"), ""};
    Result<std::string> body = ReadTextFile(dir / example.file);
    if (!body.ok()) return body.status();
    example.body = *std::move(body);
    spec->doc_examples.push_back(std::move(example));
  }
  return Status::Ok();
}

}  // namespace

const EndpointSpec& ApiSpec::Endpoint(std::string_view id) const {
  auto it = std::find_if(endpoints.begin(), endpoints.end(),
                         [&](const EndpointSpec& e) { return e.id == id; });
  BINLOG_ASSERT(it != endpoints.end());
  return *it;
}

std::filesystem::path DefaultSpecDir() {
  return std::filesystem::path(BINLOG_CONFORMANCE_SOURCE_DIR) / "conformance" / "spec";
}
std::filesystem::path DefaultFixturesDir() {
  return std::filesystem::path(BINLOG_CONFORMANCE_SOURCE_DIR) / "fixtures" / "doc-examples";
}
std::filesystem::path DefaultLedgerDir() {
  return std::filesystem::path(BINLOG_CONFORMANCE_SOURCE_DIR) / "conformance" / "ledger";
}

Result<std::string> ReadTextFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read " + path.string());
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

Result<ApiSpec> LoadApiSpec(const std::filesystem::path& spec_dir,
                            const std::filesystem::path& fixtures_dir) {
  Result<json::value> api = ParseJsonFile(spec_dir / "api.json");
  if (!api.ok()) return api.status();
  Result<json::value> metrics = ParseJsonFile(spec_dir / "metrics.json");
  if (!metrics.ok()) return metrics.status();
  ApiSpec spec;
  try {
    Result<ShapeTable> shapes = ParseShapes(api->at("shapes").as_object());
    if (!shapes.ok()) return shapes.status().Annotate("api.json");
    spec.shapes = *std::move(shapes);
    for (const json::value& e : api->at("endpoints").as_array()) {
      Result<EndpointSpec> endpoint = ParseEndpoint(e.as_object(), spec.shapes);
      if (!endpoint.ok()) return endpoint.status().Annotate("api.json");
      spec.endpoints.push_back(*std::move(endpoint));
    }
    for (const auto& c : metrics->at("catalogues").as_object()) {
      spec.catalogues[std::string(c.key())] = ParseCatalogue(c.value().as_object());
    }
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("malformed spec file: ") + e.what());
  }
  // Missing: an empty baseline (every finding is new), so that one can be recorded afresh.
  Result<PromtoolBaseline> baseline = LoadPromtoolBaseline(spec_dir / kPromtoolBaselineFile);
  if (baseline.ok()) {
    spec.promtool_baseline = *std::move(baseline);
  } else if (baseline.status().code() != StatusCode::kNotFound) {
    return baseline.status();
  }
  Status examples = LoadDocExamples(fixtures_dir, &spec);
  if (!examples.ok()) return examples;
  return spec;
}

}  // namespace tidb_binlog::conformance
