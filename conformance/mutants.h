// Negative controls (issue 5 §4): deliberately wrong servers, each the reference handler
// with exactly one fault, to show that the suite can fail and names the right check. A test
// (mutants_test.cc) runs the suite on every mutant and on the unchanged reference.
//
// Each Mutation says which node it applies to and which check must catch it; the wrapper
// leaves every other response byte-identical.
//
// Thread safety: a mutant handler keeps state (the crash mutant remembers it crashed); use
// it from one thread.
#pragma once

#include <span>
#include <string>

#include "conformance/target.h"

namespace tidb_binlog::conformance {

enum class MutantKind {
  kNodeIdKeyRenamed,       // pump /status: "nodeId" written as "nodeID"
  kEmptyArrayForNull,      // pump /drainers: `[]` where upstream writes `null`
  kMissingTrailingNewline, // pump /status: the encoder's "\n" dropped
  kCode200OnError,         // /state errors answered with code 200
  kWrongContentType,       // drainer /commit_ts as text/html
  kKeysOutOfOrder,         // drainer /status: struct keys in reverse order
  kServerErrorOnBadInput,  // 500 instead of 404 for unknown paths
  kCrashAfterBadRequest,   // stops answering after its first 404
};

struct Mutant {
  MutantKind kind;
  const char* name;
  const char* service;         // the node it wraps: "pump" (pump 0) or "drainer"
  bool needs_drainer;          // false: run against a pumps-only cluster (/drainers is null)
  const char* expected_check;  // the check id that must fail
};

// Every mutant, with the check that must catch it.
std::span<const Mutant> AllMutants();

// `inner` with the mutant's fault.
InProcessHandler MakeMutantHandler(const Mutant& mutant, InProcessHandler inner);

}  // namespace tidb_binlog::conformance
