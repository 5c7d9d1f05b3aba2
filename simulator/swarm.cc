#include "simulator/swarm.h"

#include <atomic>
#include <cstdio>
#include <map>
#include <mutex>
#include <thread>

#include <boost/json.hpp>

namespace tidb_binlog::sim {

Result<std::pair<uint64_t, uint64_t>> ParseSeedRange(const std::string& text) {
  size_t dots = text.find("..");
  try {
    if (dots == std::string::npos) {
      uint64_t seed = std::stoull(text);
      return std::make_pair(seed, seed);
    }
    uint64_t a = std::stoull(text.substr(0, dots));
    uint64_t b = std::stoull(text.substr(dots + 2));
    if (a > b) return Status::InvalidArgument("empty seed range " + text);
    return std::make_pair(a, b);
  } catch (const std::exception&) {
    return Status::InvalidArgument("bad seed range " + text + " (want A..B)");
  }
}

Result<std::pair<int, int>> ParseShard(const std::string& text) {
  size_t slash = text.find('/');
  try {
    if (slash == std::string::npos) throw std::invalid_argument("no slash");
    int i = std::stoi(text.substr(0, slash));
    int n = std::stoi(text.substr(slash + 1));
    if (n < 1 || i < 0 || i >= n) throw std::invalid_argument("range");
    return std::make_pair(i, n);
  } catch (const std::exception&) {
    return Status::InvalidArgument("bad shard " + text + " (want i/N with 0 <= i < N)");
  }
}

SwarmReport RunSwarm(const SwarmOptions& options) {
  SwarmReport report;
  for (uint64_t seed = options.first_seed;; ++seed) {
    if ((seed - options.first_seed) % static_cast<uint64_t>(options.shard_count) ==
        static_cast<uint64_t>(options.shard_index)) {
      SwarmRun run;
      run.seed = seed;
      run.config = options.base;
      run.config.seed = seed;
      report.runs.push_back(run);
    }
    if (seed == options.last_seed) break;
  }
  std::atomic<size_t> next{0};
  std::atomic<size_t> done{0};
  std::mutex progress_mu;
  auto worker = [&] {
    for (size_t i = next++; i < report.runs.size(); i = next++) {
      SwarmRun& run = report.runs[i];
      auto result = RunSimulation(run.config);
      if (result.ok()) {
        run.result = std::move(result).value();
      } else {
        run.result.outcome = Outcome::kCrash;
        run.result.failures.push_back({0, "config", result.status().ToString(), false});
      }
      size_t finished = ++done;
      if (options.progress) {
        std::lock_guard<std::mutex> lock(progress_mu);
        size_t width = 40, filled = finished * width / report.runs.size();
        std::fprintf(stderr, "\r[%s%s] %zu/%zu", std::string(filled, '#').c_str(),
                     std::string(width - filled, '.').c_str(), finished, report.runs.size());
      }
    }
  };
  std::vector<std::thread> threads;
  for (int j = 1; j < options.jobs; ++j) threads.emplace_back(worker);
  worker();
  for (std::thread& thread : threads) thread.join();
  if (options.progress) std::fprintf(stderr, "\n");
  for (const SwarmRun& run : report.runs) {
    (run.result.outcome == Outcome::kPass ? report.passed : report.failed)++;
  }
  return report;
}

void PrintSwarmSummary(const SwarmReport& report, std::ostream& out) {
  out << "seeds: " << report.runs.size() << " passed: " << report.passed
      << " failed: " << report.failed << "\n";
  std::map<std::string, std::vector<const SwarmRun*>> by_checker;
  for (const SwarmRun& run : report.runs) {
    if (run.result.outcome == Outcome::kPass) continue;
    std::string checker = run.result.failures.empty() ? OutcomeName(run.result.outcome)
                                                      : run.result.failures.front().checker;
    by_checker[checker].push_back(&run);
  }
  for (const auto& [checker, runs] : by_checker) {
    out << "checker " << checker << ": " << runs.size() << " seed(s)\n";
    for (const SwarmRun* run : runs) {
      out << "  seed " << run->seed << ": "
          << (run->result.failures.empty() ? "" : run->result.failures.front().detail) << "\n"
          << "    replay: " << ReplayCommand(run->config) << "\n";
    }
  }
}

namespace {
std::string XmlEscape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}
}  // namespace

void WriteJunit(const SwarmReport& report, std::ostream& out) {
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<testsuite name=\"binlog-sim swarm\" tests=\"" << report.runs.size()
      << "\" failures=\"" << report.failed << "\">\n";
  for (const SwarmRun& run : report.runs) {
    out << "  <testcase classname=\"binlog-sim\" name=\"seed " << run.seed << "\">";
    if (run.result.outcome != Outcome::kPass) {
      std::string checker = run.result.failures.empty() ? "" : run.result.failures[0].checker;
      std::string detail = run.result.failures.empty() ? "" : run.result.failures[0].detail;
      out << "<failure type=\"" << XmlEscape(checker) << "\" message=\"" << XmlEscape(detail)
          << "\">" << XmlEscape(ReplayCommand(run.config)) << "</failure>";
    }
    out << "</testcase>\n";
  }
  out << "</testsuite>\n";
}

void WriteJson(const SwarmReport& report, std::ostream& out) {
  boost::json::array runs;
  for (const SwarmRun& run : report.runs) {
    boost::json::object entry;
    entry["seed"] = run.seed;
    entry["outcome"] = OutcomeName(run.result.outcome);
    entry["trace_hash"] = run.result.trace_hash;
    entry["events"] = run.result.events;
    entry["committed"] = run.result.committed;
    if (!run.result.failures.empty()) {
      entry["checker"] = run.result.failures[0].checker;
      entry["detail"] = run.result.failures[0].detail;
      entry["replay"] = ReplayCommand(run.config);
    }
    runs.push_back(std::move(entry));
  }
  boost::json::object root;
  root["passed"] = report.passed;
  root["failed"] = report.failed;
  root["runs"] = std::move(runs);
  out << boost::json::serialize(root) << "\n";
}

}  // namespace tidb_binlog::sim
