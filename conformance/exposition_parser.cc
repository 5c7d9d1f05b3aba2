#include "conformance/exposition_parser.h"

#include <cmath>
#include <cstdlib>
#include <optional>
#include <set>
#include <sstream>

namespace tidb_binlog::conformance {
namespace {

bool IsNameChar(char c, bool first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
         (!first && c >= '0' && c <= '9');
}

// Reads a metric or label name at `i`; empty when there is none.
std::string ReadName(const std::string& line, size_t& i) {
  size_t start = i;
  while (i < line.size() && IsNameChar(line[i], i == start)) ++i;
  return line.substr(start, i - start);
}

bool ReadLabelValue(const std::string& line, size_t& i, std::string* value) {
  if (i >= line.size() || line[i] != '"') return false;
  for (++i; i < line.size(); ++i) {
    char c = line[i];
    if (c == '"') {
      ++i;
      return true;
    }
    if (c == '\\') {
      if (++i >= line.size()) return false;
      char e = line[i];
      if (e == 'n') *value += '\n';
      else if (e == '\\' || e == '"') *value += e;
      else return false;
    } else {
      *value += c;
    }
  }
  return false;
}

bool ReadLabels(const std::string& line, size_t& i, MetricSample* sample) {
  ++i;  // '{'
  while (i < line.size() && line[i] != '}') {
    std::string name = ReadName(line, i);
    if (name.empty() || i >= line.size() || line[i] != '=') return false;
    ++i;
    std::string value;
    if (!ReadLabelValue(line, i, &value)) return false;
    if (sample->labels.count(name)) return false;  // duplicate label
    sample->labels[name] = value;
    sample->label_order.push_back(name);
    if (i < line.size() && line[i] == ',') ++i;
  }
  if (i >= line.size()) return false;
  ++i;  // '}'
  return true;
}

bool ParseValue(const std::string& text, double* value) {
  if (text == "+Inf" || text == "Inf") { *value = INFINITY; return true; }
  if (text == "-Inf") { *value = -INFINITY; return true; }
  if (text == "NaN") { *value = NAN; return true; }
  if (text.empty()) return false;
  char* end = nullptr;
  *value = std::strtod(text.c_str(), &end);
  return *end == '\0';
}

std::optional<MetricSample> ParseSampleLine(const std::string& line) {
  MetricSample sample;
  size_t i = 0;
  sample.name = ReadName(line, i);
  if (sample.name.empty()) return std::nullopt;
  if (i < line.size() && line[i] == '{' && !ReadLabels(line, i, &sample)) return std::nullopt;
  if (i >= line.size() || line[i] != ' ') return std::nullopt;
  std::istringstream rest(line.substr(i + 1));
  std::string value_text, timestamp, extra;
  rest >> value_text >> timestamp >> extra;
  if (!extra.empty() || !ParseValue(value_text, &sample.value)) return std::nullopt;
  return sample;
}

// The family a sample belongs to: its own name, or the name without a histogram/summary
// suffix when such a family was declared.
MetricFamily* FamilyOf(ParsedExposition* e, const std::string& sample_name) {
  if (auto it = e->families.find(sample_name); it != e->families.end()) return &it->second;
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    const std::string s(suffix);
    if (sample_name.size() > s.size() &&
        sample_name.compare(sample_name.size() - s.size(), s.size(), s) == 0) {
      auto it = e->families.find(sample_name.substr(0, sample_name.size() - s.size()));
      if (it != e->families.end()) return &it->second;
    }
  }
  return nullptr;
}

void ParseComment(const std::string& line, int n, ParsedExposition* e) {
  std::istringstream in(line);
  std::string hash, keyword, name;
  in >> hash >> keyword >> name;
  if (keyword != "HELP" && keyword != "TYPE") return;  // a plain comment
  if (name.empty()) {
    e->errors.push_back("line " + std::to_string(n) + ": " + keyword + " without a name");
    return;
  }
  MetricFamily& family = e->families[name];
  family.name = name;
  std::string rest;
  std::getline(in, rest);
  if (!rest.empty() && rest[0] == ' ') rest.erase(0, 1);
  if (keyword == "HELP") {
    family.help = rest;
    return;
  }
  static const std::set<std::string> kTypes = {"counter", "gauge", "histogram", "summary",
                                               "untyped"};
  if (!kTypes.count(rest)) {
    e->errors.push_back("line " + std::to_string(n) + ": unknown type " + rest);
  }
  if (!family.samples.empty()) {
    e->errors.push_back("line " + std::to_string(n) + ": TYPE after samples of " + name);
  }
  family.type = rest;
}

using Child = std::map<std::string, std::string>;

Child WithoutLe(const MetricSample& s) {
  Child c = s.labels;
  c.erase("le");
  return c;
}

std::string SeriesKey(const MetricSample& s) {
  std::string key = s.name + "{";
  for (const auto& [k, v] : s.labels) key += k + "=" + v + ",";
  return key + "}";
}

}  // namespace

ParsedExposition ParseExposition(const std::string& text) {
  ParsedExposition e;
  std::istringstream lines(text);
  int n = 0;
  for (std::string line; std::getline(lines, line);) {
    ++n;
    if (line.empty()) continue;
    if (line[0] == '#') {
      ParseComment(line, n, &e);
      continue;
    }
    std::optional<MetricSample> sample = ParseSampleLine(line);
    if (!sample) {
      e.errors.push_back("line " + std::to_string(n) + ": malformed sample: " + line);
      continue;
    }
    MetricFamily* family = FamilyOf(&e, sample->name);
    if (family == nullptr) {
      family = &e.families[sample->name];
      family->name = sample->name;
    }
    if (family->type.empty()) family->type = "untyped";
    family->samples.push_back(*std::move(sample));
  }
  if (!text.empty() && text.back() != '\n') e.errors.push_back("the body does not end with \\n");
  return e;
}

std::vector<std::string> FamilyLabelNames(const MetricFamily& family) {
  std::set<std::string> names;
  for (const MetricSample& s : family.samples) {
    for (const auto& [name, value] : s.labels) {
      if (name != "le" && name != "quantile") names.insert(name);
    }
  }
  return {names.begin(), names.end()};
}

std::vector<std::string> CheckHistograms(const ParsedExposition& exposition) {
  std::vector<std::string> problems;
  for (const auto& [name, family] : exposition.families) {
    if (family.type != "histogram") continue;
    std::map<Child, std::vector<const MetricSample*>> buckets;
    std::map<Child, double> counts;
    std::set<Child> sums;
    for (const MetricSample& s : family.samples) {
      if (s.name == name + "_bucket") buckets[WithoutLe(s)].push_back(&s);
      else if (s.name == name + "_count") counts[s.labels] = s.value;
      else if (s.name == name + "_sum") sums.insert(s.labels);
      else problems.push_back(name + ": unexpected sample " + s.name);
    }
    for (const auto& [child, lines] : buckets) {
      double previous_le = -INFINITY, previous_count = 0;
      for (const MetricSample* b : lines) {
        double le = 0;
        auto le_it = b->labels.find("le");
        if (le_it == b->labels.end() || !ParseValue(le_it->second, &le)) {
          problems.push_back(name + ": bucket without a numeric le");
          continue;
        }
        if (le <= previous_le) problems.push_back(name + ": le bounds not increasing");
        if (b->value < previous_count) problems.push_back(name + ": buckets not cumulative");
        previous_le = le;
        previous_count = b->value;
      }
      const MetricSample* last = lines.back();
      if (last->labels.count("le") == 0 || last->labels.at("le") != "+Inf") {
        problems.push_back(name + ": the last bucket is not le=\"+Inf\"");
      }
      if (!counts.count(child)) problems.push_back(name + ": a child has no _count");
      else if (counts[child] != last->value) problems.push_back(name + ": _count differs from the +Inf bucket");
      if (!sums.count(child)) problems.push_back(name + ": a child has no _sum");
    }
  }
  return problems;
}

std::vector<std::string> CompareScrapes(const ParsedExposition& before,
                                        const ParsedExposition& after) {
  std::vector<std::string> problems;
  std::map<std::string, double> later;
  for (const auto& [name, family] : after.families) {
    for (const MetricSample& s : family.samples) later[SeriesKey(s)] = s.value;
  }
  for (const auto& [name, family] : before.families) {
    for (const MetricSample& s : family.samples) {
      auto it = later.find(SeriesKey(s));
      if (it == later.end()) {
        problems.push_back("series disappeared: " + SeriesKey(s));
        continue;
      }
      const bool monotonic = family.type == "counter" ||
                             (family.type == "histogram" && s.name != name + "_sum");
      if (monotonic && it->second < s.value) {
        problems.push_back("decreased: " + SeriesKey(s) + " " + std::to_string(s.value) + " -> " +
                           std::to_string(it->second));
      }
    }
  }
  return problems;
}

}  // namespace tidb_binlog::conformance
