#include "reference/pump/pump_options.h"

#include <cstdio>
#include <limits>
#include <utility>

namespace tidb_binlog {
namespace {

constexpr int64_t kNanosecondsPerMillisecond = 1'000'000;
// Go's time.Duration range: int64 nanoseconds.
constexpr uint64_t kGoDurationMagnitudeMax = uint64_t{1} << 63;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// strconv.Quote for the ASCII texts a setting holds. Other bytes are copied as they are,
// which is what Go prints for valid, printable UTF-8.
std::string GoQuote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\a': out += "\\a"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\v': out += "\\v"; break;
      default:
        if (byte < 0x20 || byte == 0x7f) {
          char escaped[8];
          std::snprintf(escaped, sizeof(escaped), "\\x%02x", byte);
          out += escaped;
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

Status InvalidDuration(std::string_view original) {
  return Status::InvalidArgument("time: invalid duration " + GoQuote(original));
}

// Nanoseconds per unit, as Go's unitMap (both spellings of micro included).
std::optional<uint64_t> UnitNanoseconds(std::string_view unit) {
  static constexpr std::pair<std::string_view, uint64_t> kUnits[] = {
      {"ns", 1},
      {"us", 1'000},
      {"\xC2\xB5s", 1'000},  // U+00B5 micro sign
      {"\xCE\xBCs", 1'000},  // U+03BC Greek mu
      {"ms", 1'000'000},
      {"s", 1'000'000'000},
      {"m", 60'000'000'000},
      {"h", 3'600'000'000'000},
  };
  for (const auto& [name, nanoseconds] : kUnits) {
    if (name == unit) return nanoseconds;
  }
  return std::nullopt;
}

// One `<number>[.<fraction>]<unit>` element of a Go duration, added to `total`.
// Returns false (with `status` set) when the element is malformed.
bool ConsumeDurationElement(std::string_view& rest, std::string_view original, uint64_t& total,
                            Status& status) {
  uint64_t whole = 0;
  size_t i = 0;
  for (; i < rest.size() && IsDigit(rest[i]); ++i) {
    if (whole > kGoDurationMagnitudeMax / 10) {
      status = InvalidDuration(original);
      return false;
    }
    whole = whole * 10 + static_cast<uint64_t>(rest[i] - '0');
    if (whole > kGoDurationMagnitudeMax) {
      status = InvalidDuration(original);
      return false;
    }
  }
  const bool has_whole = i > 0;
  // Go keeps fraction digits while they fit and ignores the rest.
  uint64_t fraction = 0;
  double fraction_scale = 1;
  bool has_fraction = false;
  if (i < rest.size() && rest[i] == '.') {
    ++i;
    bool overflow = false;
    for (; i < rest.size() && IsDigit(rest[i]); ++i) {
      has_fraction = true;
      if (overflow) continue;
      if (fraction > (kGoDurationMagnitudeMax - 1) / 10) {
        overflow = true;
        continue;
      }
      fraction = fraction * 10 + static_cast<uint64_t>(rest[i] - '0');
      fraction_scale *= 10;
    }
  }
  if (!has_whole && !has_fraction) {
    status = InvalidDuration(original);
    return false;
  }
  size_t unit_end = i;
  while (unit_end < rest.size() && rest[unit_end] != '.' && !IsDigit(rest[unit_end])) ++unit_end;
  if (unit_end == i) {
    status = Status::InvalidArgument("time: missing unit in duration " + GoQuote(original));
    return false;
  }
  const std::string_view unit_text = rest.substr(i, unit_end - i);
  const std::optional<uint64_t> unit = UnitNanoseconds(unit_text);
  if (!unit) {
    status = Status::InvalidArgument("time: unknown unit " + GoQuote(unit_text) +
                                     " in duration " + GoQuote(original));
    return false;
  }
  if (whole > kGoDurationMagnitudeMax / *unit) {
    status = InvalidDuration(original);
    return false;
  }
  uint64_t value = whole * *unit;
  if (fraction > 0) {
    value += static_cast<uint64_t>(static_cast<double>(fraction) *
                                   (static_cast<double>(*unit) / fraction_scale));
    if (value > kGoDurationMagnitudeMax) {
      status = InvalidDuration(original);
      return false;
    }
  }
  total += value;
  if (total > kGoDurationMagnitudeMax) {
    status = InvalidDuration(original);
    return false;
  }
  rest.remove_prefix(unit_end);
  return true;
}

std::string_view TrimGoSpace(std::string_view text) {
  constexpr std::string_view kSpace = " \t\n\v\f\r";
  const size_t begin = text.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  const size_t end = text.find_last_not_of(kSpace);
  return text.substr(begin, end - begin + 1);
}

}  // namespace

Result<int64_t> ParseGoDuration(std::string_view text) {
  std::string_view rest = text;
  bool negative = false;
  if (!rest.empty() && (rest[0] == '-' || rest[0] == '+')) {
    negative = rest[0] == '-';
    rest.remove_prefix(1);
  }
  if (rest == "0") return int64_t{0};
  if (rest.empty()) return InvalidDuration(text);
  uint64_t total = 0;
  while (!rest.empty()) {
    if (rest[0] != '.' && !IsDigit(rest[0])) return InvalidDuration(text);
    Status status;
    if (!ConsumeDurationElement(rest, text, total, status)) return status;
  }
  if (negative) {
    return total == kGoDurationMagnitudeMax ? std::numeric_limits<int64_t>::min()
                                            : -static_cast<int64_t>(total);
  }
  if (total > kGoDurationMagnitudeMax - 1) return InvalidDuration(text);
  return static_cast<int64_t>(total);
}

Result<int64_t> ParseGcRetention(std::string_view gc) {
  const std::string raw(gc);
  int64_t nanoseconds = 0;
  const bool all_digits =
      !gc.empty() && gc.find_first_not_of("0123456789") == std::string_view::npos;
  if (all_digits) {
    // strconv.ParseUint then days * 24h; we refuse what would overflow Go's int64
    // nanoseconds (Go silently wraps) as an unsupported value.
    constexpr uint64_t kDaysMax =
        static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) /
        (static_cast<uint64_t>(kMillisecondsPerDay) * kNanosecondsPerMillisecond);
    uint64_t days = 0;
    for (char c : gc) {
      days = days * 10 + static_cast<uint64_t>(c - '0');
      if (days > kDaysMax) {
        return Status::InvalidArgument("unsupported gc time " + raw +
                                       ", etc: use 7 for 7 day, 7h for 7 hour");
      }
    }
    nanoseconds = static_cast<int64_t>(days) * kMillisecondsPerDay * kNanosecondsPerMillisecond;
  } else {
    Result<int64_t> parsed = ParseGoDuration(gc);
    if (!parsed.ok()) {
      return parsed.status().Annotate("unsupported gc time " + raw +
                                      ", etc: use 7 for 7 day, 7h for 7 hour");
    }
    nanoseconds = *parsed;
  }
  if (nanoseconds <= 0) {
    return Status::InvalidArgument("GC is " + raw + ", must bigger than 0");
  }
  return nanoseconds / kNanosecondsPerMillisecond;
}

Status ValidatePumpOptions(const PumpOptions& options) {
  if (options.node_id.empty()) return Status::InvalidArgument("pump node id is empty");
  if (options.advertise_addr.empty()) {
    return Status::InvalidArgument("pump advertise address is empty");
  }
  if (options.heartbeat_interval_ms <= 0) {
    return Status::InvalidArgument("heartbeat interval must be positive");
  }
  if (options.fake_binlog_interval_ms <= 0) {
    return Status::InvalidArgument("fake binlog interval must be positive");
  }
  if (options.gc_retention_ms <= 0) {
    return Status::InvalidArgument("GC is 0, must bigger than 0");
  }
  return Status::Ok();
}

NodeIdDecision DecidePumpNodeId(const std::optional<std::string>& node_file,
                                std::string_view configured_id, std::string_view hostname,
                                uint16_t listen_port) {
  NodeIdDecision decision;
  if (node_file.has_value()) {
    const std::string_view stored = TrimGoSpace(*node_file);
    if (!stored.empty()) {
      decision.node_id = std::string(stored);
      decision.configured_id_ignored = !configured_id.empty();
      return decision;
    }
  }
  if (!configured_id.empty()) {
    decision.node_id = std::string(configured_id);
    return decision;
  }
  decision.node_id = std::string(hostname) + ":" + std::to_string(listen_port);
  decision.write_node_file = true;
  return decision;
}

}  // namespace tidb_binlog
