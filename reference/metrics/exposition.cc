#include "reference/metrics/exposition.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string_view>
#include <system_error>
#include <utility>

#include "reference/core/assert.h"

namespace tidb_binlog {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

// Longest shortest-round-trip double in scientific form ("-1.2345678901234567e-308") plus slack.
constexpr size_t kFloatTextBytesMax = 32;
// Go's 'g' format with shortest precision switches to exponent form at 10^6 and above
// (strconv/ftoa.go: "if precision was the shortest possible, use precision 6").
constexpr int kGoShortestExponentFormAtOrAbove = 6;
// ... and below 10^-4 (exponent < -4), as C's %g does.
constexpr int kGoExponentFormBelow = -4;

// Digits and decimal exponent of the shortest text that parses back to `value` (finite,
// non-zero): value = 0.d1d2d3... * 10^(exponent+1) with digits = "d1d2d3...".
struct ShortestDecimal {
  bool negative = false;
  std::string digits;
  int exponent = 0;  // of the first digit: 5e-05 has exponent -5
};

ShortestDecimal ToShortestDecimal(double value) {
  char buffer[kFloatTextBytesMax];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value,
                                 std::chars_format::scientific);
  BINLOG_ASSERT(ec == std::errc());
  std::string_view text(buffer, end - buffer);
  ShortestDecimal decimal;
  if (text.front() == '-') {
    decimal.negative = true;
    text.remove_prefix(1);
  }
  size_t e = text.find('e');
  BINLOG_ASSERT(e != std::string_view::npos);
  for (char c : text.substr(0, e)) {
    if (c != '.') decimal.digits.push_back(c);
  }
  std::string_view exponent_text = text.substr(e + 1);
  if (exponent_text.front() == '+') exponent_text.remove_prefix(1);
  auto result = std::from_chars(exponent_text.data(),
                                exponent_text.data() + exponent_text.size(), decimal.exponent);
  BINLOG_ASSERT(result.ec == std::errc());
  return decimal;
}

// Go's fmtE: d[.ddd]e±XX with at least two exponent digits.
std::string GoExponentForm(const ShortestDecimal& d) {
  std::string out = d.negative ? "-" : "";
  out += d.digits[0];
  if (d.digits.size() > 1) {
    out += '.';
    out.append(d.digits, 1);
  }
  out += d.exponent < 0 ? "e-" : "e+";
  int magnitude = std::abs(d.exponent);
  if (magnitude < 10) out += '0';
  out += std::to_string(magnitude);
  return out;
}

// Go's fmtF with exactly the shortest digits: integer part, then the remaining digits.
std::string GoFixedForm(const ShortestDecimal& d) {
  const int digit_count = static_cast<int>(d.digits.size());
  const int point = d.exponent + 1;  // digits before the decimal point
  auto digit_at = [&](int i) { return i >= 0 && i < digit_count ? d.digits[i] : '0'; };
  std::string out = d.negative ? "-" : "";
  if (point > 0) {
    for (int i = 0; i < point; ++i) out += digit_at(i);
  } else {
    out += '0';
  }
  if (digit_count > point) {
    out += '.';
    for (int i = point; i < digit_count; ++i) out += digit_at(i);
  }
  return out;
}

void AppendEscaped(std::string& out, std::string_view text, bool escape_quote) {
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && escape_quote) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

// One sample line: name+suffix, labels (+ the extra `le`/`quantile` label last), value.
void AppendSample(std::string& out, const MetricFamily& family, const ClientMetric& metric,
                  std::string_view suffix, std::string_view extra_label, double extra_value,
                  double value) {
  out += family.name;
  out += suffix;
  if (!metric.label.empty() || !extra_label.empty()) {
    char separator = '{';
    for (const ClientMetric::Label& label : metric.label) {
      out += separator;
      out += label.name;
      out += "=\"";
      AppendEscaped(out, label.value, /*escape_quote=*/true);
      out += '"';
      separator = ',';
    }
    if (!extra_label.empty()) {
      out += separator;
      out += extra_label;
      out += "=\"";
      out += FormatGoFloat(extra_value);
      out += '"';
    }
    out += '}';
  }
  out += ' ';
  out += FormatGoFloat(value);
  if (metric.timestamp_ms != 0) {
    out += ' ';
    out += std::to_string(metric.timestamp_ms);
  }
  out += '\n';
}

void AppendHistogram(std::string& out, const MetricFamily& family, const ClientMetric& metric) {
  const ClientMetric::Histogram& histogram = metric.histogram;
  bool inf_seen = false;
  for (const ClientMetric::Bucket& bucket : histogram.bucket) {
    AppendSample(out, family, metric, "_bucket", "le", bucket.upper_bound,
                 static_cast<double>(bucket.cumulative_count));
    if (std::isinf(bucket.upper_bound) && bucket.upper_bound > 0) inf_seen = true;
  }
  if (!inf_seen) {
    AppendSample(out, family, metric, "_bucket", "le", INFINITY,
                 static_cast<double>(histogram.sample_count));
  }
  AppendSample(out, family, metric, "_sum", "", 0, histogram.sample_sum);
  AppendSample(out, family, metric, "_count", "", 0,
               static_cast<double>(histogram.sample_count));
}

void AppendSummary(std::string& out, const MetricFamily& family, const ClientMetric& metric) {
  const ClientMetric::Summary& summary = metric.summary;
  for (const ClientMetric::Quantile& q : summary.quantile) {
    AppendSample(out, family, metric, "", "quantile", q.quantile, q.value);
  }
  AppendSample(out, family, metric, "_sum", "", 0, summary.sample_sum);
  AppendSample(out, family, metric, "_count", "", 0, static_cast<double>(summary.sample_count));
}

const char* TypeName(MetricType type) {
  switch (type) {
    case MetricType::Counter:
      return "counter";
    case MetricType::Gauge:
      return "gauge";
    case MetricType::Summary:
      return "summary";
    case MetricType::Histogram:
      return "histogram";
    case MetricType::Untyped:
      return "untyped";
  }
  BINLOG_ASSERT(false && "unknown metric type");
  return "";
}

void AppendFamily(std::string& out, const MetricFamily& family) {
  out += "# HELP ";
  out += family.name;
  out += ' ';
  AppendEscaped(out, family.help, /*escape_quote=*/false);
  out += "\n# TYPE ";
  out += family.name;
  out += ' ';
  out += TypeName(family.type);
  out += '\n';
  for (const ClientMetric& metric : family.metric) {
    switch (family.type) {
      case MetricType::Counter:
        AppendSample(out, family, metric, "", "", 0, metric.counter.value);
        break;
      case MetricType::Gauge:
        AppendSample(out, family, metric, "", "", 0, metric.gauge.value);
        break;
      case MetricType::Untyped:
        AppendSample(out, family, metric, "", "", 0, metric.untyped.value);
        break;
      case MetricType::Histogram:
        AppendHistogram(out, family, metric);
        break;
      case MetricType::Summary:
        AppendSummary(out, family, metric);
        break;
    }
  }
}

// client_golang's MetricSorter: compare label values in label-name order.
bool ChildLess(const ClientMetric& a, const ClientMetric& b) {
  const size_t n = std::min(a.label.size(), b.label.size());
  for (size_t i = 0; i < n; ++i) {
    if (a.label[i].value != b.label[i].value) return a.label[i].value < b.label[i].value;
  }
  if (a.label.size() != b.label.size()) return a.label.size() < b.label.size();
  return a.timestamp_ms < b.timestamp_ms;
}

// Merges same-named families, drops empty ones, sorts families, children and labels.
std::vector<MetricFamily> Normalize(std::vector<MetricFamily> families) {
  std::map<std::string, MetricFamily> by_name;
  for (MetricFamily& family : families) {
    auto [it, inserted] = by_name.try_emplace(family.name, std::move(family));
    if (inserted) continue;
    BINLOG_ASSERT(it->second.type == family.type);
    for (ClientMetric& metric : family.metric) it->second.metric.push_back(std::move(metric));
  }
  std::vector<MetricFamily> sorted;
  for (auto& [name, family] : by_name) {
    if (family.metric.empty()) continue;
    for (ClientMetric& metric : family.metric) {
      std::sort(metric.label.begin(), metric.label.end());
    }
    std::sort(family.metric.begin(), family.metric.end(), ChildLess);
    sorted.push_back(std::move(family));
  }
  return sorted;
}

}  // namespace

std::string FormatGoFloat(double value) {
  if (value == 0) return "0";  // also -0, as expfmt's writeFloat
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  ShortestDecimal decimal = ToShortestDecimal(value);
  if (decimal.exponent < kGoExponentFormBelow ||
      decimal.exponent >= kGoShortestExponentFormAtOrAbove) {
    return GoExponentForm(decimal);
  }
  return GoFixedForm(decimal);
}

std::string ExposeFamilies(std::vector<MetricFamily> families) {
  std::string out;
  for (const MetricFamily& family : Normalize(std::move(families))) {
    AppendFamily(out, family);
  }
  return out;
}

std::string ExposeText(const std::vector<const prometheus::Collectable*>& collectables) {
  std::vector<MetricFamily> families;
  for (const prometheus::Collectable* collectable : collectables) {
    BINLOG_ASSERT(collectable != nullptr);
    for (MetricFamily& family : collectable->Collect()) families.push_back(std::move(family));
  }
  return ExposeFamilies(std::move(families));
}

}  // namespace tidb_binlog
