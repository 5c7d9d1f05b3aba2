#include "reference/storage/binlog_store.h"

#include <utility>

#include <google/protobuf/wire_format_lite.h>

#include "reference/core/assert.h"

namespace tidb_binlog {
namespace {

using google::protobuf::internal::WireFormatLite;

// Every Binlog field number is below 16: its tag takes one byte.
constexpr size_t kBinlogTagBytes = 1;

// The encoded bytes of the fields CopyPrewriteFields moves, as present in `b`.
size_t EnrichmentFieldsBytes(const binlog::Binlog& b) {
  size_t bytes = 0;
  if (b.has_start_ts()) bytes += kBinlogTagBytes + WireFormatLite::Int64Size(b.start_ts());
  if (b.has_prewrite_value()) {
    bytes += kBinlogTagBytes + WireFormatLite::BytesSize(b.prewrite_value());
  }
  if (b.has_ddl_query()) bytes += kBinlogTagBytes + WireFormatLite::BytesSize(b.ddl_query());
  if (b.has_ddl_job_id()) bytes += kBinlogTagBytes + WireFormatLite::Int64Size(b.ddl_job_id());
  if (b.has_ddl_schema_state()) {
    bytes += kBinlogTagBytes + WireFormatLite::Int32Size(b.ddl_schema_state());
  }
  return bytes;
}

}  // namespace

bool IsFakeBinlog(const binlog::Binlog& binlog) {
  return binlog.start_ts() > 0 && binlog.start_ts() == binlog.commit_ts();
}

int64_t BinlogIndexTs(const binlog::Binlog& binlog) {
  return binlog.tp() == binlog::Prewrite ? binlog.start_ts() : binlog.commit_ts();
}

void CopyPrewriteFields(const binlog::Binlog& p, binlog::Binlog& c) {
  c.clear_start_ts();
  c.clear_prewrite_value();
  c.clear_ddl_query();
  c.clear_ddl_job_id();
  c.clear_ddl_schema_state();
  if (p.has_start_ts()) c.set_start_ts(p.start_ts());
  if (p.has_prewrite_value()) c.set_prewrite_value(p.prewrite_value());
  if (p.has_ddl_query()) c.set_ddl_query(p.ddl_query());
  if (p.has_ddl_job_id()) c.set_ddl_job_id(p.ddl_job_id());
  if (p.has_ddl_schema_state()) c.set_ddl_schema_state(p.ddl_schema_state());
}

size_t EnrichedByteSize(const binlog::Binlog& commit, const binlog::Binlog& prewrite) {
  return commit.ByteSizeLong() - EnrichmentFieldsBytes(commit) +
         EnrichmentFieldsBytes(prewrite);
}

binlog::Binlog SharedPulledBinlog::Materialize() const {
  binlog::Binlog enriched = *commit;
  if (prewrite != nullptr) CopyPrewriteFields(*prewrite, enriched);
  // Cross-checks the size arithmetic every time a copying caller pulls.
  BINLOG_ASSERT(enriched.ByteSizeLong() == bytes);
  return enriched;
}

SharedPulledBinlog SharePulledBinlog(binlog::Binlog&& binlog) {
  SharedPulledBinlog shared;
  shared.bytes = binlog.ByteSizeLong();
  shared.commit = std::make_shared<const binlog::Binlog>(std::move(binlog));
  return shared;
}

SharedPullResult SharePullResult(PullResult&& pulled) {
  SharedPullResult shared;
  shared.requested_purged = pulled.requested_purged;
  shared.skipped_unmatched = pulled.skipped_unmatched;
  shared.binlogs.reserve(pulled.binlogs.size());
  for (binlog::Binlog& b : pulled.binlogs) shared.binlogs.push_back(SharePulledBinlog(std::move(b)));
  return shared;
}

Result<SharedPullResult> BinlogStore::PullShared(int64_t after_ts, size_t limit_count,
                                                 size_t limit_bytes) {
  Result<PullResult> pulled = Pull(after_ts, limit_count, limit_bytes);
  if (!pulled.ok()) return pulled.status();
  return SharePullResult(std::move(*pulled));
}

}  // namespace tidb_binlog
