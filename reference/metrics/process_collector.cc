#include "reference/metrics/process_collector.h"

#include <unistd.h>

#include <charconv>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <string_view>
#include <system_error>
#include <utility>

namespace tidb_binlog {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

// Clock ticks per second in /proc/<pid>/stat. Go's procfs hard-codes 100 (Linux's USER_HZ on
// every mainstream architecture), so we do too rather than ask sysconf.
constexpr double kProcfsUserHz = 100;
// /proc/<pid>/limits prints "unlimited"; procfs turns it into the largest uint64.
constexpr uint64_t kUnlimited = std::numeric_limits<uint64_t>::max();
// Fields of /proc/<pid>/stat, counted from the one after "(comm)" (field 3, the state) as 0.
constexpr size_t kStatUtimeIndex = 11;      // field 14
constexpr size_t kStatStimeIndex = 12;      // field 15
constexpr size_t kStatStarttimeIndex = 19;  // field 22
constexpr size_t kStatVsizeIndex = 20;      // field 23
constexpr size_t kStatRssIndex = 21;        // field 24

struct ProcStat {
  uint64_t utime = 0;
  uint64_t stime = 0;
  uint64_t starttime = 0;
  uint64_t vsize = 0;
  uint64_t rss_pages = 0;
};

struct ProcLimits {
  std::optional<uint64_t> open_files;
  std::optional<uint64_t> address_space;
};

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return content.str();
}

std::optional<uint64_t> ParseUint(std::string_view text) {
  if (text == "unlimited") return kUnlimited;
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// The comm field may hold spaces and parentheses, so fields are counted after the last ')'.
std::optional<ProcStat> ParseStat(const std::string& content) {
  size_t close = content.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(content.substr(close + 1));
  std::vector<std::string> tokens;
  for (std::string token; fields >> token;) tokens.push_back(std::move(token));
  if (tokens.size() <= kStatRssIndex) return std::nullopt;
  auto field = [&](size_t index) { return ParseUint(tokens[index]); };
  auto utime = field(kStatUtimeIndex), stime = field(kStatStimeIndex);
  auto starttime = field(kStatStarttimeIndex), vsize = field(kStatVsizeIndex);
  auto rss = field(kStatRssIndex);
  if (!utime || !stime || !starttime || !vsize || !rss) return std::nullopt;
  return ProcStat{*utime, *stime, *starttime, *vsize, *rss};
}

std::optional<uint64_t> ParseBootTime(const std::string& content) {
  std::istringstream lines(content);
  for (std::string line; std::getline(lines, line);) {
    constexpr std::string_view kPrefix = "btime ";
    if (line.starts_with(kPrefix)) return ParseUint(std::string_view(line).substr(kPrefix.size()));
  }
  return std::nullopt;
}

// The soft limit is the first column after the limit's name.
std::optional<uint64_t> SoftLimit(const std::string& line, std::string_view name) {
  std::istringstream rest(line.substr(name.size()));
  std::string soft;
  if (!(rest >> soft)) return std::nullopt;
  return ParseUint(soft);
}

ProcLimits ParseLimits(const std::string& content) {
  constexpr std::string_view kOpenFiles = "Max open files ";
  constexpr std::string_view kAddressSpace = "Max address space ";
  ProcLimits limits;
  std::istringstream lines(content);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with(kOpenFiles)) limits.open_files = SoftLimit(line, kOpenFiles);
    if (line.starts_with(kAddressSpace)) limits.address_space = SoftLimit(line, kAddressSpace);
  }
  return limits;
}

std::optional<uint64_t> CountOpenFds(const std::string& fd_dir) {
  std::error_code ec;
  std::filesystem::directory_iterator it(fd_dir, ec);
  if (ec) return std::nullopt;
  uint64_t count = 0;
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (ec) return std::nullopt;
    ++count;
  }
  return count;
}

MetricFamily Single(const char* name, const char* help, MetricType type, double value) {
  MetricFamily family;
  family.name = name;
  family.help = help;
  family.type = type;
  ClientMetric metric;
  if (type == MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  family.metric.push_back(std::move(metric));
  return family;
}

void CollectStat(const std::string& proc_root, std::vector<MetricFamily>& out) {
  std::optional<std::string> content = ReadFile(proc_root + "/self/stat");
  if (!content) return;
  std::optional<ProcStat> stat = ParseStat(*content);
  if (!stat) return;
  const double page_bytes = static_cast<double>(sysconf(_SC_PAGESIZE));
  out.push_back(Single("process_cpu_seconds_total",
                       "Total user and system CPU time spent in seconds.", MetricType::Counter,
                       static_cast<double>(stat->utime + stat->stime) / kProcfsUserHz));
  out.push_back(Single("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                       MetricType::Gauge, static_cast<double>(stat->vsize)));
  out.push_back(Single("process_resident_memory_bytes", "Resident memory size in bytes.",
                       MetricType::Gauge, static_cast<double>(stat->rss_pages) * page_bytes));
  std::optional<std::string> proc_stat = ReadFile(proc_root + "/stat");
  std::optional<uint64_t> boot = proc_stat ? ParseBootTime(*proc_stat) : std::nullopt;
  if (!boot) return;
  out.push_back(Single("process_start_time_seconds",
                       "Start time of the process since unix epoch in seconds.",
                       MetricType::Gauge,
                       static_cast<double>(*boot) +
                           static_cast<double>(stat->starttime) / kProcfsUserHz));
}

// procfs fails Limits() as a whole when a line does not parse; both families go together.
void CollectLimits(const std::string& proc_root, std::vector<MetricFamily>& out) {
  std::optional<std::string> content = ReadFile(proc_root + "/self/limits");
  if (!content) return;
  ProcLimits limits = ParseLimits(*content);
  if (!limits.open_files || !limits.address_space) return;
  out.push_back(Single("process_max_fds", "Maximum number of open file descriptors.",
                       MetricType::Gauge, static_cast<double>(*limits.open_files)));
  out.push_back(Single("process_virtual_memory_max_bytes",
                       "Maximum amount of virtual memory available in bytes.", MetricType::Gauge,
                       static_cast<double>(*limits.address_space)));
}

}  // namespace

ProcessCollector::ProcessCollector(std::string proc_root) : proc_root_(std::move(proc_root)) {}

std::vector<MetricFamily> ProcessCollector::Collect() const {
  std::vector<MetricFamily> families;
  CollectStat(proc_root_, families);
  if (std::optional<uint64_t> fds = CountOpenFds(proc_root_ + "/self/fd")) {
    families.push_back(Single("process_open_fds", "Number of open file descriptors.",
                              MetricType::Gauge, static_cast<double>(*fds)));
  }
  CollectLimits(proc_root_, families);
  return families;
}

}  // namespace tidb_binlog
