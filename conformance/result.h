// The outcome of one conformance check, as every part of the suite records it, and the
// deviation ledger that turns known failures into expected ones.
//
// Check ids are stable and literal (`pump.status.content-type`,
// `drainer.bad-input.action-stop`), because CI history and ledger entries key on them; the
// node a check ran against is in `target`, not in the id.
//
// Ledger semantics (the Schemathesis baseline with pytest's xfail_strict): an entry names a
// check id (a glob: `doc.*.body-style`) and a signature, a substring of the failure's actual
// value. A failure that matches is kXFail (counts as passed, listed with the entry's reason);
// a failure with another signature stays kFail; a check that passes while an entry expects
// it to fail is kXPass, which fails the run until the entry is removed.
//
// Thread safety: plain values and pure functions.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reference/core/status.h"

namespace tidb_binlog::conformance {

enum class Outcome { kPass, kFail, kSkip, kXFail, kXPass };
const char* OutcomeName(Outcome outcome);

// What to show a user so they can reproduce a failing exchange.
struct Reproducer {
  std::string curl;  // a curl command line, or a printf | nc line for raw bytes
};

struct CheckResult {
  std::string id;
  std::string target;  // "pump http://127.0.0.1:8250", "doc", "cluster"
  Outcome outcome = Outcome::kPass;
  std::string expected;
  std::string actual;
  std::string reference;  // the spec section the check enforces
  std::optional<Reproducer> reproducer;
  std::string ledger_id;      // set for kXFail / kXPass
  std::string ledger_reason;
};

struct LedgerEntry {
  std::string id;              // DEV-001
  std::string check;           // glob over check ids
  std::string actual_contains; // signature; "" matches any failure
  std::string reason;
  std::string reference;
};

struct Ledger {
  std::vector<LedgerEntry> entries;
};

// Loads a ledger file ({"target", "entries": [{id, check, actual_contains, reason,
// reference}]}). kInvalidArgument naming the file when an entry lacks id, check, reason or
// reference.
Result<Ledger> LoadLedger(const std::filesystem::path& path);

// Appends `more`'s entries to `ledger`.
void MergeLedger(Ledger more, Ledger* ledger);

// Applies the ledger to every result (see the header comment). Entries are matched in order;
// the first matching entry decides.
void ApplyLedger(const Ledger& ledger, std::vector<CheckResult>* results);

// True for the outcomes that make a run fail (kFail, kXPass).
bool IsUnexpected(Outcome outcome);

}  // namespace tidb_binlog::conformance
