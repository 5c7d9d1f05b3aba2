// Test support (not part of binlog_metrics): a small reader of the Prometheus text format
// 0.0.4 for asserting on expositions, the client_golang bucket bounds upstream's catalogues
// use (as Go prints them), and a runner for `promtool check metrics`.
//
// The reader accepts exactly what our writer and client_golang produce (HELP/TYPE comments,
// `name{l="v",...} value` samples, escapes \\ \" \n) and reports anything else as a test
// failure, so a malformed exposition fails the test that reads it.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace tidb_binlog::testing_util {

struct Sample {
  std::string name;  // with any _bucket/_sum/_count suffix
  std::map<std::string, std::string> labels;
  std::vector<std::string> label_order;  // label names as written
  std::string value_text;
  double value = 0;
};

struct Family {
  std::string name, help, type;
  std::vector<Sample> samples;
};

struct Exposition {
  std::vector<std::string> order;  // family names as they appear
  std::map<std::string, Family> families;
  bool Has(const std::string& name) const { return families.count(name) > 0; }
};

inline std::string Unescape(const std::string& text, size_t& i, char terminator) {
  std::string out;
  for (; i < text.size() && text[i] != terminator; ++i) {
    if (text[i] != '\\') {
      out += text[i];
      continue;
    }
    ++i;
    if (i >= text.size()) break;
    out += text[i] == 'n' ? '\n' : text[i];
  }
  return out;
}

// Parses `line` (no newline) as a sample; ADD_FAILURE()s and returns nullopt if malformed.
inline std::optional<Sample> ParseSample(const std::string& line) {
  Sample sample;
  size_t i = line.find_first_of("{ ");
  if (i == std::string::npos) {
    ADD_FAILURE() << "malformed sample: " << line;
    return std::nullopt;
  }
  sample.name = line.substr(0, i);
  if (line[i] == '{') {
    ++i;
    while (i < line.size() && line[i] != '}') {
      size_t eq = line.find("=\"", i);
      if (eq == std::string::npos) {
        ADD_FAILURE() << "malformed labels: " << line;
        return std::nullopt;
      }
      std::string name = line.substr(i, eq - i);
      i = eq + 2;
      sample.labels[name] = Unescape(line, i, '"');
      sample.label_order.push_back(name);
      ++i;  // closing quote
      if (i < line.size() && line[i] == ',') ++i;
    }
    ++i;  // closing brace
  }
  if (i >= line.size() || line[i] != ' ') {
    ADD_FAILURE() << "no value: " << line;
    return std::nullopt;
  }
  sample.value_text = line.substr(i + 1);
  char* end = nullptr;
  sample.value = std::strtod(sample.value_text.c_str(), &end);
  if (sample.value_text.empty() || *end != '\0') {
    ADD_FAILURE() << "bad value: " << line;
    return std::nullopt;
  }
  return sample;
}

inline Exposition Parse(const std::string& text) {
  Exposition exposition;
  std::istringstream lines(text);
  Family* current = nullptr;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
      size_t space = line.find(' ', 7);
      std::string name = line.substr(7, space - 7);
      if (!exposition.Has(name)) exposition.order.push_back(name);
      current = &exposition.families[name];
      current->name = name;
      size_t j = space + 1;
      (line[2] == 'H' ? current->help : current->type) = Unescape(line, j, '\0');
      continue;
    }
    std::optional<Sample> sample = ParseSample(line);
    if (!sample) continue;
    if (current == nullptr || sample->name.rfind(current->name, 0) != 0) {
      ADD_FAILURE() << "sample outside its family: " << line;
      continue;
    }
    current->samples.push_back(*std::move(sample));
  }
  return exposition;
}

// Label names of the samples of a family, `le` removed, sorted (std::map order).
inline std::vector<std::string> LabelNames(const Family& family) {
  std::vector<std::string> names;
  if (family.samples.empty()) return names;
  for (const auto& [name, value] : family.samples.front().labels) {
    if (name != "le") names.push_back(name);
  }
  return names;
}

// The `le` texts of the first child's buckets, in order.
inline std::vector<std::string> BucketBounds(const Family& family) {
  std::vector<std::string> bounds;
  if (family.samples.empty()) return bounds;
  std::map<std::string, std::string> first = family.samples.front().labels;
  first.erase("le");
  for (const Sample& s : family.samples) {
    std::map<std::string, std::string> labels = s.labels;
    labels.erase("le");
    if (s.name == family.name + "_bucket" && labels == first) bounds.push_back(s.labels.at("le"));
  }
  return bounds;
}

// client_golang's ExponentialBuckets as Go prints them in `le`, plus the implicit +Inf.
inline const std::vector<std::string> kDuration18 = {
    "5e-05",  "0.0001", "0.0002", "0.0004", "0.0008", "0.0016", "0.0032", "0.0064", "0.0128",
    "0.0256", "0.0512", "0.1024", "0.2048", "0.4096", "0.8192", "1.6384", "3.2768", "6.5536",
    "+Inf"};
inline const std::vector<std::string> kDuration20 = {
    "5e-05",  "0.0001", "0.0002", "0.0004", "0.0008", "0.0016", "0.0032",
    "0.0064", "0.0128", "0.0256", "0.0512", "0.1024", "0.2048", "0.4096",
    "0.8192", "1.6384", "3.2768", "6.5536", "13.1072", "26.2144", "+Inf"};
inline const std::vector<std::string> kSize20 = {
    "16",     "32",     "64",     "128",         "256",         "512",         "1024",
    "2048",   "4096",   "8192",   "16384",       "32768",       "65536",       "131072",
    "262144", "524288", "1.048576e+06", "2.097152e+06", "4.194304e+06", "8.388608e+06",
    "+Inf"};
inline const std::vector<std::string> kSize25 = {
    "16",           "32",           "64",           "128",           "256",
    "512",          "1024",         "2048",         "4096",          "8192",
    "16384",        "32768",        "65536",        "131072",        "262144",
    "524288",       "1.048576e+06", "2.097152e+06", "4.194304e+06",  "8.388608e+06",
    "1.6777216e+07", "3.3554432e+07", "6.7108864e+07", "1.34217728e+08", "2.68435456e+08",
    "+Inf"};
inline const std::vector<std::string> kDelay22 = {
    "0.001",  "0.002",  "0.004",  "0.008",   "0.016",   "0.032",    "0.064",    "0.128",
    "0.256",  "0.512",  "1.024",  "2.048",   "4.096",   "8.192",    "16.384",   "32.768",
    "65.536", "131.072", "262.144", "524.288", "1048.576", "2097.152", "+Inf"};

struct PromtoolResult {
  int exit_code = -1;
  std::string stdout_text, stderr_text;
};

inline std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Runs `promtool check metrics` on `text` (fed on stdin); nullopt if promtool is missing.
inline std::optional<PromtoolResult> RunPromtool(const std::string& text) {
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) return std::nullopt;
  std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) /
                              ("promtool_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "in.txt") << text;
  std::string command = "promtool check metrics < " + (dir / "in.txt").string() + " > " +
                        (dir / "out.txt").string() + " 2> " + (dir / "err.txt").string();
  int status = std::system(command.c_str());
  PromtoolResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.stdout_text = ReadAll(dir / "out.txt");
  result.stderr_text = ReadAll(dir / "err.txt");
  std::filesystem::remove_all(dir);
  return result;
}


// Every histogram child: buckets cumulative (non-decreasing) and ending at le="+Inf", whose
// count equals _count; _sum present.
inline void ExpectHistogramsWellFormed(const Exposition& exposition) {
  for (const auto& [name, family] : exposition.families) {
    if (family.type != "histogram") continue;
    std::map<std::map<std::string, std::string>, std::vector<const Sample*>> buckets;
    std::map<std::map<std::string, std::string>, double> sums, counts;
    for (const Sample& s : family.samples) {
      std::map<std::string, std::string> child = s.labels;
      child.erase("le");
      if (s.name == name + "_bucket") {
        EXPECT_EQ(s.label_order.back(), "le") << name;
        buckets[child].push_back(&s);
      } else if (s.name == name + "_sum") {
        sums[child] = s.value;
      } else if (s.name == name + "_count") {
        counts[child] = s.value;
      } else {
        ADD_FAILURE() << "unexpected sample " << s.name;
      }
    }
    EXPECT_FALSE(buckets.empty()) << name;
    for (const auto& [child, lines] : buckets) {
      for (size_t i = 1; i < lines.size(); ++i) {
        EXPECT_LE(lines[i - 1]->value, lines[i]->value) << name;
        EXPECT_LT(std::strtod(lines[i - 1]->labels.at("le").c_str(), nullptr),
                  std::strtod(lines[i]->labels.at("le").c_str(), nullptr))
            << name;
      }
      EXPECT_EQ(lines.back()->labels.at("le"), "+Inf") << name;
      ASSERT_TRUE(counts.count(child)) << name << " has no _count";
      EXPECT_TRUE(sums.count(child)) << name << " has no _sum";
      EXPECT_EQ(lines.back()->value, counts[child]) << name;
    }
  }
}

// Between two scrapes, counter samples (and histogram buckets/_count) never go down and no
// series disappears (OpenMetrics scrapevalidator's rules).
inline void ExpectMonotonic(const Exposition& before, const Exposition& after) {
  for (const auto& [name, family] : before.families) {
    ASSERT_TRUE(after.Has(name)) << name << " disappeared";
    const Family& later = after.families.at(name);
    for (const Sample& s : family.samples) {
      const Sample* match = nullptr;
      for (const Sample& t : later.samples) {
        if (t.name == s.name && t.labels == s.labels) match = &t;
      }
      ASSERT_NE(match, nullptr) << s.name << " series disappeared";
      const bool monotonic = family.type == "counter" ||
                             (family.type == "histogram" && s.name != name + "_sum");
      if (monotonic) {
        EXPECT_GE(match->value, s.value) << s.name;
      }
    }
  }
}

// Runs promtool on `text`: a parse error (exit 1, or any "error" line) fails the test; lint
// findings (exit 3) are returned for the caller to compare with upstream's, never failed on.
// Skips (GTEST_SKIP in the caller, signalled by nullopt) when promtool is not installed.
inline std::optional<std::vector<std::string>> PromtoolLintFindings(const std::string& text) {
  std::optional<PromtoolResult> result = RunPromtool(text);
  if (!result) return std::nullopt;
  const std::string output = result->stdout_text + result->stderr_text;
  std::vector<std::string> findings;
  if (result->exit_code != 0 && result->exit_code != 3) {
    ADD_FAILURE() << "promtool exit " << result->exit_code << ":\n" << output;
    return findings;
  }
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    // Parse failures read "error while linting: text format parsing error in line N: ...";
    // lint findings read "<metric name> <problem>" (a name may itself contain "error").
    const bool parse_error =
        line.rfind("error", 0) == 0 || line.find("parsing error") != std::string::npos;
    EXPECT_FALSE(parse_error) << "promtool: " << line;
    findings.push_back(line);
  }
  std::sort(findings.begin(), findings.end());
  return findings;
}

// One row of an upstream catalogue (UPSTREAM.md §4.1/§4.2), written out in each test.
struct ExpectedFamily {
  std::string name;
  std::string type;
  std::vector<std::string> labels;   // sorted
  std::vector<std::string> buckets;  // `le` texts, for histograms
  bool always;                       // exposed before first use
};

// Family names other than client_golang's process_* ones.
inline std::set<std::string> NonProcessFamilies(const Exposition& e) {
  std::set<std::string> names;
  for (const std::string& name : e.order) {
    if (name.rfind("process_", 0) != 0) names.insert(name);
  }
  return names;
}

// The exposition holds exactly `catalogue` (plus process_*), each family with its type, label
// names, buckets and a HELP text. Call after every family has been used.
inline void ExpectCatalogue(const Exposition& e, const std::vector<ExpectedFamily>& catalogue) {
  std::set<std::string> expected;
  for (const ExpectedFamily& f : catalogue) {
    expected.insert(f.name);
    ASSERT_TRUE(e.Has(f.name)) << f.name;
    const Family& family = e.families.at(f.name);
    EXPECT_EQ(family.type, f.type) << f.name;
    EXPECT_FALSE(family.help.empty()) << f.name;
    EXPECT_EQ(LabelNames(family), f.labels) << f.name;
    if (f.type == "histogram") {
      EXPECT_EQ(BucketBounds(family), f.buckets) << f.name;
    }
  }
  EXPECT_EQ(NonProcessFamilies(e), expected);
}

// Before any use: exactly the `always` families (plus process_*), every sample at 0.
inline void ExpectFreshCatalogue(const Exposition& e,
                                 const std::vector<ExpectedFamily>& catalogue) {
  std::set<std::string> expected;
  for (const ExpectedFamily& f : catalogue) {
    if (f.always) expected.insert(f.name);
  }
  EXPECT_EQ(NonProcessFamilies(e), expected);
  for (const std::string& name : expected) {
    if (!e.Has(name)) continue;
    for (const Sample& s : e.families.at(name).samples) EXPECT_EQ(s.value, 0) << s.name;
  }
  EXPECT_TRUE(e.Has("process_cpu_seconds_total"));
}

}  // namespace tidb_binlog::testing_util
