// The conformance suite's description of the API under test, loaded from data files:
// conformance/spec/api.json (endpoints and body shapes), conformance/spec/metrics.json (the
// metric catalogues) and fixtures/doc-examples/examples.json (the public doc's examples).
//
// The C++ code holds no endpoint facts of its own: what a target must answer lives in these
// files, each entry linked to its section of the public doc and of UPSTREAM.md, so a reader
// can check the spec against its sources without reading code.
//
// Thread safety: an ApiSpec is immutable after LoadApiSpec(); share it freely.
#pragma once

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "conformance/json_shape.h"
#include "conformance/promtool_baseline.h"
#include "reference/core/status.h"

namespace tidb_binlog::conformance {

enum class BodyStyle {
  kEncoderJson,     // json.NewEncoder: compact + "\n"
  kRenderJson,      // unrolled/render IndentJSON: 2-space indent + "\n"
  kText,            // fmt.Fprint: no trailing newline
  kTextLine,        // fmt.Fprintln: one line + "\n"
  kPrometheusText,  // promhttp text format 0.0.4
};

struct EndpointSpec {
  std::string id;       // "pump.status"
  std::string service;  // "pump" | "drainer"
  std::string method;   // "GET", "PUT", "POST"
  bool any_method = false;  // /metrics answers every method
  std::string path;     // template: "/state/{NodeID}/{Action}"
  std::map<std::string, std::vector<std::string>> path_enums;  // {Action: [pause, close]}
  unsigned status = 200;
  std::string content_type;                         // exactly upstream's
  std::vector<std::string> content_types_portable;  // acceptable media types
  BodyStyle body_style = BodyStyle::kText;
  ShapePtr shape;  // null for text bodies
  std::vector<std::string> text_one_of;
  bool unordered_array = false;
  bool disruptive = false;
  bool mutating = false;
  std::string metrics_catalogue;  // "pump" | "drainer" for /metrics
  std::string doc_ref;
  std::string upstream_ref;
};

enum class MetricPresence { kAlways, kLazy };

struct MetricFamilySpec {
  std::string name;
  std::string type;                 // counter | gauge | histogram
  std::vector<std::string> labels;  // sorted, without `le`
  MetricPresence presence = MetricPresence::kAlways;
};

struct MetricsCatalogue {
  std::vector<MetricFamilySpec> families;
  std::set<std::string> never;                  // defined but never registered upstream
};

struct DocExample {
  std::string file;      // under fixtures/doc-examples/
  std::string endpoint;  // EndpointSpec::id
  std::string doc_section;
  std::string command;   // the command line the doc shows above the example
  std::string body;      // the file's text
};

struct ApiSpec {
  ShapeTable shapes;
  std::vector<EndpointSpec> endpoints;
  std::map<std::string, MetricsCatalogue> catalogues;
  std::vector<DocExample> doc_examples;
  PromtoolBaseline promtool_baseline;  // promtool-baseline.json (promtool_baseline.h)

  // The endpoint with this id; a programmer error if there is none.
  const EndpointSpec& Endpoint(std::string_view id) const;
};

// Where the data files live by default: the source tree this binary was built from.
std::filesystem::path DefaultSpecDir();
std::filesystem::path DefaultFixturesDir();
std::filesystem::path DefaultLedgerDir();

// Loads api.json, metrics.json and promtool-baseline.json from `spec_dir` and the doc
// examples from `fixtures_dir`.
// kInvalidArgument / kNotFound naming the file and the problem.
Result<ApiSpec> LoadApiSpec(const std::filesystem::path& spec_dir,
                            const std::filesystem::path& fixtures_dir);

// A whole file, or kNotFound.
Result<std::string> ReadTextFile(const std::filesystem::path& path);

}  // namespace tidb_binlog::conformance
