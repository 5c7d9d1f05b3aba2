#include "conformance/report.h"

#include <fstream>
#include <iomanip>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace tidb_binlog::conformance {
namespace {

namespace json = boost::json;

// Expected/actual texts longer than this are cut in the table (the JSON keeps them whole).
constexpr size_t kDetailCharsMax = 600;

std::string Cut(const std::string& text) {
  if (text.size() <= kDetailCharsMax) return text;
  return text.substr(0, kDetailCharsMax) + "... (" + std::to_string(text.size()) + " bytes)";
}

std::string XmlEscape(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\n': case '\t': out += static_cast<char>(c); break;
      default:
        // XML 1.0 cannot carry other control characters at all.
        if (c < 0x20) {
          out += "\\x" + std::string(1, "0123456789abcdef"[c >> 4]) + "0123456789abcdef"[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

// junit classname and name: "pump.status" and "content-type" from "pump.status.content-type".
std::pair<std::string, std::string> SplitId(const std::string& id) {
  size_t dot = id.rfind('.');
  if (dot == std::string::npos) return {id, id};
  return {id.substr(0, dot), id.substr(dot + 1)};
}

void WriteDetail(const CheckResult& r, std::ostream& out) {
  out << "--- " << OutcomeName(r.outcome) << " " << r.id << "  [" << r.target << "]\n";
  if (!r.ledger_id.empty()) out << "    ledger " << r.ledger_id << ": " << r.ledger_reason << "\n";
  if (!r.reference.empty()) out << "    spec:     " << r.reference << "\n";
  out << "    expected: " << Cut(r.expected) << "\n";
  out << "    actual:   " << Cut(r.actual) << "\n";
  if (r.reproducer) out << "    reproduce: " << r.reproducer->curl << "\n";
}

}  // namespace

RunSummary Summarize(const std::vector<CheckResult>& results) {
  RunSummary s;
  for (const CheckResult& r : results) {
    switch (r.outcome) {
      case Outcome::kPass: ++s.passed; break;
      case Outcome::kXFail: ++s.passed; ++s.expected_failures; break;
      case Outcome::kFail:
      case Outcome::kXPass: ++s.failed; break;
      case Outcome::kSkip: ++s.skipped; break;
    }
  }
  return s;
}

std::string SummaryLine(const RunSummary& s) {
  return std::to_string(s.passed) + " passed, " + std::to_string(s.failed) + " failed, " +
         std::to_string(s.skipped) + " skipped";
}

void WriteTextReport(const std::vector<CheckResult>& results, std::ostream& out) {
  size_t width = 10;
  for (const CheckResult& r : results) width = std::max(width, r.id.size());
  out << std::left << std::setw(6) << "RESULT" << "  " << std::setw(static_cast<int>(width))
      << "CHECK" << "  TARGET\n";
  for (const CheckResult& r : results) {
    out << std::left << std::setw(6) << OutcomeName(r.outcome) << "  "
        << std::setw(static_cast<int>(width)) << r.id << "  " << r.target;
    if (r.outcome == Outcome::kSkip) out << "  (" << r.actual << ")";
    if (!r.ledger_id.empty()) out << "  (" << r.ledger_id << ")";
    out << "\n";
  }
  bool header = false;
  for (const CheckResult& r : results) {
    if (r.outcome == Outcome::kPass || r.outcome == Outcome::kSkip) continue;
    if (!header) out << "\nDetails (failures, unexpected passes, known deviations):\n";
    header = true;
    WriteDetail(r, out);
  }
  RunSummary s = Summarize(results);
  out << "\n" << s.expected_failures << " of the passed checks are known deviations (xfail)\n";
  out << SummaryLine(s) << "\n";
}

Status WriteJunitReport(const std::vector<CheckResult>& results,
                        const std::map<std::string, std::string>& properties,
                        const std::filesystem::path& path) {
  std::ofstream out(path);
  if (!out) return Status::IoError("cannot write " + path.string());
  RunSummary s = Summarize(results);
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n"
      << "  <testsuite name=\"binlog-conformance\" tests=\"" << results.size() << "\" failures=\""
      << s.failed << "\" errors=\"0\" skipped=\"" << (s.skipped + s.expected_failures) << "\">\n"
      << "    <properties>\n";
  for (const auto& [name, value] : properties) {
    out << "      <property name=\"" << XmlEscape(name) << "\" value=\"" << XmlEscape(value)
        << "\"/>\n";
  }
  out << "    </properties>\n";
  for (const CheckResult& r : results) {
    auto [classname, name] = SplitId(r.id);
    out << "    <testcase classname=\"" << XmlEscape(classname) << "\" name=\"" << XmlEscape(name)
        << "\">\n";
    const std::string detail = "target: " + r.target + "\nexpected: " + r.expected +
                               "\nactual: " + r.actual +
                               (r.reproducer ? "\nreproduce: " + r.reproducer->curl : "");
    switch (r.outcome) {
      case Outcome::kPass: break;
      case Outcome::kSkip:
        out << "      <skipped message=\"" << XmlEscape(r.actual) << "\"/>\n";
        break;
      case Outcome::kXFail:
        out << "      <skipped message=\"xfail " << XmlEscape(r.ledger_id + ": " + r.ledger_reason)
            << "\"/>\n";
        break;
      case Outcome::kFail:
      case Outcome::kXPass:
        out << "      <failure type=\"" << (r.outcome == Outcome::kXPass ? "xpass" : "failure")
            << "\" message=\"" << XmlEscape(Cut(r.expected)) << "\">" << XmlEscape(detail)
            << "</failure>\n";
        break;
    }
    out << "      <system-out>" << XmlEscape(detail) << "</system-out>\n    </testcase>\n";
  }
  out << "  </testsuite>\n</testsuites>\n";
  return out ? Status::Ok() : Status::IoError("cannot write " + path.string());
}

Status WriteJsonReport(const std::vector<CheckResult>& results,
                       const std::map<std::string, std::string>& properties,
                       const std::filesystem::path& path) {
  json::object root;
  json::object props;
  for (const auto& [name, value] : properties) props[name] = value;
  root["properties"] = std::move(props);
  json::array checks;
  for (const CheckResult& r : results) {
    json::object c;
    c["id"] = r.id;
    c["target"] = r.target;
    c["status"] = OutcomeName(r.outcome);
    c["expected"] = r.expected;
    c["actual"] = r.actual;
    c["reference"] = r.reference;
    if (!r.ledger_id.empty()) c["deviation"] = r.ledger_id;
    if (r.reproducer) c["reproduce"] = r.reproducer->curl;
    checks.push_back(std::move(c));
  }
  root["checks"] = std::move(checks);
  RunSummary s = Summarize(results);
  root["summary"] = {{"passed", s.passed}, {"expected_failures", s.expected_failures},
                     {"failed", s.failed}, {"skipped", s.skipped}};
  std::ofstream out(path);
  if (!out) return Status::IoError("cannot write " + path.string());
  out << json::serialize(root) << "\n";
  return out ? Status::Ok() : Status::IoError("cannot write " + path.string());
}

}  // namespace tidb_binlog::conformance
