#include "conformance/result.h"

#include <fnmatch.h>

#include <boost/json/parse.hpp>

#include "conformance/api_spec.h"

namespace tidb_binlog::conformance {
namespace {

namespace json = boost::json;

std::string Member(const json::object& o, const char* key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

bool Matches(const LedgerEntry& entry, const CheckResult& result) {
  return fnmatch(entry.check.c_str(), result.id.c_str(), 0) == 0;
}

}  // namespace

const char* OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kPass: return "PASS";
    case Outcome::kFail: return "FAIL";
    case Outcome::kSkip: return "SKIP";
    case Outcome::kXFail: return "XFAIL";
    case Outcome::kXPass: return "XPASS";
  }
  return "?";
}

bool IsUnexpected(Outcome outcome) {
  return outcome == Outcome::kFail || outcome == Outcome::kXPass;
}

Result<Ledger> LoadLedger(const std::filesystem::path& path) {
  Result<std::string> text = ReadTextFile(path);
  if (!text.ok()) return text.status();
  boost::system::error_code ec;
  json::value root = json::parse(*text, ec);
  if (ec || !root.is_object() || !root.as_object().contains("entries")) {
    return Status::InvalidArgument(path.string() + ": not a ledger file");
  }
  Ledger ledger;
  for (const json::value& e : root.at("entries").as_array()) {
    const json::object& o = e.as_object();
    LedgerEntry entry{Member(o, "id"), Member(o, "check"), Member(o, "actual_contains"),
                      Member(o, "reason"), Member(o, "reference")};
    if (entry.id.empty() || entry.check.empty() || entry.reason.empty() ||
        entry.reference.empty()) {
      return Status::InvalidArgument(path.string() +
                                     ": every entry needs id, check, reason and reference");
    }
    ledger.entries.push_back(std::move(entry));
  }
  return ledger;
}

void MergeLedger(Ledger more, Ledger* ledger) {
  for (LedgerEntry& e : more.entries) ledger->entries.push_back(std::move(e));
}

void ApplyLedger(const Ledger& ledger, std::vector<CheckResult>* results) {
  for (CheckResult& result : *results) {
    if (result.outcome != Outcome::kPass && result.outcome != Outcome::kFail) continue;
    for (const LedgerEntry& entry : ledger.entries) {
      if (!Matches(entry, result)) continue;
      if (result.outcome == Outcome::kFail &&
          result.actual.find(entry.actual_contains) == std::string::npos) {
        continue;  // another failure than the recorded one: stays a failure
      }
      result.outcome = result.outcome == Outcome::kFail ? Outcome::kXFail : Outcome::kXPass;
      result.ledger_id = entry.id;
      result.ledger_reason = entry.reason + " [" + entry.reference + "]";
      break;
    }
  }
}

}  // namespace tidb_binlog::conformance
