// Test support (header-only, not part of any library): a TsoSource that a test drives by
// hand, for the node tests of the pump and the drainer.
//
// ManualTso returns TSOs from a TsoOracle fed with the test's clock (`now_ms`), so they
// increase and carry the test's physical time; it can be pinned to one value or made to
// fail the next calls with kUnavailable, as PD does when it is unreachable.
// Not for: the simulator or the runtime (they have their own sources over one global clock).
// Thread safety: none; one test thread.
#pragma once

#include <cstdint>
#include <optional>

#include "reference/core/status.h"
#include "reference/core/tso.h"
#include "reference/core/tso_source.h"

namespace tidb_binlog::testing_support {

// 2023-11-14T22:13:20Z: a realistic wall clock, so TSOs look like upstream's.
inline constexpr int64_t kStartMs = 1'700'000'000'000;

class ManualTso final : public TsoSource {
 public:
  Result<int64_t> GetTs() override {
    if (fail_next_ > 0) {
      --fail_next_;
      return Status::Unavailable("pd is unreachable");
    }
    if (fixed_) return *fixed_;
    return oracle_.Next(now_ms);
  }
  // The next `calls` calls fail.
  void FailNext(int calls) { fail_next_ = calls; }
  // Every later successful call returns `ts`.
  void Pin(int64_t ts) { fixed_ = ts; }

  int64_t now_ms = 0;

 private:
  TsoOracle oracle_;
  std::optional<int64_t> fixed_;
  int fail_next_ = 0;
};

}  // namespace tidb_binlog::testing_support
