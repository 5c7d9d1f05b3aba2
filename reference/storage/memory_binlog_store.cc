#include "reference/storage/memory_binlog_store.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include "reference/core/binlog_codec.h"
#include "reference/core/planted_bugs.h"
#include "reference/core/tso.h"

namespace tidb_binlog {
namespace {

Status ClosedStatus() { return Status::Unavailable("binlog store is closed"); }

bool IsProbeBinlog(const binlog::Binlog& b) { return b.start_ts() == 0 && b.commit_ts() == 0; }

// True when `b` is what DecodeBinlog(EncodeBinlog(b)) returns: EncodeBinlog writes the
// always-written scalars even when absent, so they come back present.
bool IsMarkedStored(const binlog::Binlog& b) {
  return b.has_tp() && b.has_start_ts() && b.has_commit_ts() && b.has_ddl_job_id() &&
         b.has_ddl_schema_state();
}

// `b` as stored: with every always-written scalar present (see IsMarkedStored).
std::shared_ptr<const binlog::Binlog> MarkStored(const binlog::Binlog& b) {
  auto stored = std::make_shared<binlog::Binlog>(b);
  stored->set_tp(b.tp());
  stored->set_start_ts(b.start_ts());
  stored->set_commit_ts(b.commit_ts());
  stored->set_ddl_job_id(b.ddl_job_id());
  stored->set_ddl_schema_state(b.ddl_schema_state());
  return stored;
}

// The key bound up to which Gc(gc_ts) deletes (UPSTREAM.md §7.6).
int64_t GcDeleteBound(int64_t gc_ts) { return gc_ts - EncodeTso(kGcMarginMilliseconds); }

}  // namespace

// ---------------------------------------------------------------- MemoryDisk

void MemoryDisk::SetCapacityBytes(int64_t bytes) {
  std::lock_guard lock(mu_);
  capacity_bytes_ = bytes;
}

void MemoryDisk::SetAvailableBytes(int64_t bytes) {
  std::lock_guard lock(mu_);
  free_base_bytes_ = bytes + used_bytes_;
}

int64_t MemoryDisk::capacity_bytes() const {
  std::lock_guard lock(mu_);
  return capacity_bytes_;
}

int64_t MemoryDisk::available_bytes() const {
  std::lock_guard lock(mu_);
  return AvailableLocked();
}

void MemoryDisk::FailNextWrites(int count) {
  std::lock_guard lock(mu_);
  failing_writes_ = count;
}

void MemoryDisk::FailNextSyncs(int count) {
  std::lock_guard lock(mu_);
  failing_syncs_ = count;
}

Status MemoryDisk::CorruptValue(int64_t ts) {
  std::lock_guard lock(mu_);
  Slot* slot = FindLocked(ts);
  if (slot == nullptr) return Status::NotFound(kBinlogNotFoundMessage);
  slot->corrupt = true;
  return Status::Ok();
}

size_t MemoryDisk::unsynced_write_count() const {
  std::lock_guard lock(mu_);
  return arrivals_.size() - durable_arrivals_;
}

void MemoryDisk::ReleaseSpaceLocked(const Slot& slot) {
  used_bytes_ -= slot.bytes;
}

int64_t MemoryDisk::AvailableLocked() const {
  return std::max<int64_t>(0, free_base_bytes_ - used_bytes_);
}

// Searched from the end, galloping back (1, 2, 4, ... slots) to a slot at or below `key`,
// then bisecting that window: most keys searched for are recent (a late write, a drainer's
// position, a Commit's Prewrite), so this costs the log of the distance from the end.
MemoryDisk::Slots::iterator MemoryDisk::UpperBoundLocked(int64_t key) {
  return UpperBoundBeforeLocked(key, slots_.end());
}

MemoryDisk::Slots::iterator MemoryDisk::UpperBoundBeforeLocked(int64_t key,
                                                               Slots::iterator above) {
  // The common case (a write in key order, a Prewrite just before its Commit) in one step.
  if (above == slots_.begin() || std::prev(above)->key <= key) return above;
  // Every slot from index above_from on has a key above `key`.
  size_t above_from = static_cast<size_t>(above - slots_.begin());
  size_t step = 1;
  while (above_from > 0) {
    const size_t probe = above_from > step ? above_from - step : 0;
    if (slots_[probe].key <= key) {
      return std::upper_bound(slots_.begin() + static_cast<ptrdiff_t>(probe) + 1,
                              slots_.begin() + static_cast<ptrdiff_t>(above_from), key,
                              [](int64_t k, const Slot& slot) { return k < slot.key; });
    }
    above_from = probe;
    step *= 2;
  }
  return slots_.begin();
}

MemoryDisk::Slots::iterator MemoryDisk::FindIteratorLocked(int64_t key) {
  auto it = UpperBoundLocked(key);
  if (it == slots_.begin() || std::prev(it)->key != key) return slots_.end();
  return std::prev(it);
}

MemoryDisk::Slot* MemoryDisk::FindLocked(int64_t key) {
  auto it = FindIteratorLocked(key);
  return it == slots_.end() ? nullptr : &*it;
}

MemoryDisk::Slot* MemoryDisk::FindBeforeLocked(int64_t key, Slots::iterator above) {
  auto it = UpperBoundBeforeLocked(key, above);
  return it != slots_.begin() && std::prev(it)->key == key ? &*std::prev(it) : nullptr;
}

void MemoryDisk::PutLocked(int64_t key, std::shared_ptr<const binlog::Binlog> binlog,
                           int64_t bytes, const Arrival& arrival) {
  used_bytes_ += bytes;
  auto it = UpperBoundLocked(key);
  if (it != slots_.begin() && std::prev(it)->key == key) {
    --it;
    ReleaseSpaceLocked(*it);
    undo_.push_back(Undo{key, std::move(*it)});
  } else {
    it = slots_.insert(it, Slot{});
    undo_.push_back(Undo{key, std::nullopt});
  }
  Slot& slot = *it;
  slot.key = key;
  slot.binlog = std::move(binlog);
  slot.bytes = bytes;
  slot.tp = arrival.tp;
  slot.start_ts = arrival.start_ts;
  slot.commit_ts = arrival.commit_ts;
  slot.corrupt = false;
  arrivals_.push_back(arrival);
}

void MemoryDisk::SyncLocked(const CommitSorter& sorter) {
  undo_.clear();
  checkpoint_.max_commit_ts = sorter.max_commit_ts();
  checkpoint_.replay_position = sorter.ReplayPosition(next_position_);
  // Arrivals before the replay position are no longer needed to rebuild the sorter.
  while (!arrivals_.empty() && arrivals_.front().position < checkpoint_.replay_position) {
    arrivals_.pop_front();
  }
  durable_arrivals_ = arrivals_.size();
}

void MemoryDisk::DropUnsyncedLocked() {
  for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) {
    auto slot = FindIteratorLocked(it->key);
    BINLOG_ASSERT(slot != slots_.end());
    ReleaseSpaceLocked(*slot);
    if (it->previous.has_value()) {
      used_bytes_ += it->previous->bytes;
      *slot = std::move(*it->previous);
    } else {
      slots_.erase(slot);
    }
  }
  undo_.clear();
  arrivals_.resize(durable_arrivals_);
}

int64_t MemoryDisk::DeleteUpToLocked(int64_t bound) {
  BINLOG_ASSERT(undo_.empty());  // deletions are durable at once: sync first
  int64_t deleted = 0;
  while (!slots_.empty() && slots_.front().key <= bound) {
    ReleaseSpaceLocked(slots_.front());
    slots_.pop_front();
    ++deleted;
  }
  return deleted;
}

// ---------------------------------------------------------------- MemoryBinlogStore

Result<std::unique_ptr<MemoryBinlogStore>> MemoryBinlogStore::Open(
    std::shared_ptr<MemoryDisk> disk, MemoryBinlogStoreOptions options) {
  BINLOG_ASSERT(disk != nullptr);
  std::lock_guard lock(disk->mu_);
  if (disk->in_use_) return Status::Busy("memory disk is held by another open store");
  disk->in_use_ = true;
  std::unique_ptr<MemoryBinlogStore> store(new MemoryBinlogStore(disk, options));
  store->RecoverLocked();
  return store;
}

MemoryBinlogStore::MemoryBinlogStore(std::shared_ptr<MemoryDisk> disk,
                                     MemoryBinlogStoreOptions options)
    : disk_(std::move(disk)), options_(options) {}

MemoryBinlogStore::~MemoryBinlogStore() { (void)Close(); }

void MemoryBinlogStore::RecoverLocked() {
  // Everything on the disk is durable here: a crash dropped the rest, a close synced it.
  BINLOG_ASSERT(disk_->undo_.empty());
  sorter_ = CommitSorter(disk_->checkpoint_.max_commit_ts);
  for (const MemoryDisk::Arrival& a : disk_->arrivals_) {
    // The same records fitted the sorter before the restart.
    const Status added = sorter_.Add(a.tp, a.start_ts, a.commit_ts, a.position);
    BINLOG_ASSERT(added.ok());
  }
  if (disk_->gc_ts_ > 0) deleted_bound_ = GcDeleteBound(disk_->gc_ts_);
}

Status MemoryBinlogStore::Write(const binlog::Binlog& binlog) {
  return WriteBatch(std::span<const binlog::Binlog>(&binlog, 1));
}

Status MemoryBinlogStore::WriteBatch(std::span<const binlog::Binlog> binlogs) {
  std::vector<std::shared_ptr<const binlog::Binlog>> kept;
  kept.reserve(binlogs.size());
  for (const binlog::Binlog& b : binlogs) {
    if (!IsProbeBinlog(b)) kept.push_back(MarkStored(b));  // TiDB's probe: accepted, dropped
  }
  return WriteKept(binlogs, kept);
}

// The simulator's pump writes every binlog this way: the writer's binlog goes into its
// slot, with no copy and no vector (a copy only if a scalar is absent, see MarkStored).
Status MemoryBinlogStore::WriteShared(std::shared_ptr<const binlog::Binlog> binlog) {
  BINLOG_ASSERT(binlog != nullptr);
  // `given` points into the caller's binlog, so `binlog` must stay alive while WriteKept
  // looks at it: a marked copy goes into `stored`, never over `binlog`.
  const std::span<const binlog::Binlog> given(binlog.get(), 1);
  if (IsProbeBinlog(*binlog)) return WriteKept(given, {});
  std::shared_ptr<const binlog::Binlog> stored =
      IsMarkedStored(*binlog) ? binlog : MarkStored(*binlog);
  return WriteKept(given, std::span<std::shared_ptr<const binlog::Binlog>>(&stored, 1));
}

// Stores `kept` (the non-probe binlogs of `given` as stored: see MarkStored) under the
// checks of WriteBatch, which look at `given` as the caller passed it.
Status MemoryBinlogStore::WriteKept(std::span<const binlog::Binlog> given,
                                    std::span<std::shared_ptr<const binlog::Binlog>> kept) {
  std::lock_guard lock(disk_->mu_);
  if (closed_) return ClosedStatus();
  BINLOG_RETURN_IF_ERROR(CheckSpaceGuardLocked(given));
  int64_t bytes = 0;
  for (const auto& b : kept) {
    // All fields present: the encoded size, EncodeBinlog(b).size(), without encoding. It
    // stays cached in the message (GetCachedSize below): stored binlogs never change.
    bytes += static_cast<int64_t>(b->ByteSizeLong());
  }
  BINLOG_RETURN_IF_ERROR(CheckWritableLocked(given, bytes));
  for (std::shared_ptr<const binlog::Binlog>& b : kept) {
    const MemoryDisk::Arrival arrival{b->tp(), b->start_ts(), b->commit_ts(),
                                      disk_->next_position_++};
    // CheckWritableLocked made sure every Prewrite of the batch fits the sorter.
    const Status added =
        sorter_.Add(arrival.tp, arrival.start_ts, arrival.commit_ts, arrival.position);
    BINLOG_ASSERT(added.ok());
    if (BINLOG_PLANTED_BUG(kMaxCommitPastUnmatched) && b->tp() != binlog::Prewrite) {
      planted_max_seen_commit_ts_ = std::max(planted_max_seen_commit_ts_, b->commit_ts());
    }
    const int64_t key = BinlogIndexTs(*b);
    const int64_t size = b->GetCachedSize();
    disk_->PutLocked(key, std::move(b), size, arrival);
  }
  if (options_.sync && !kept.empty() && !BINLOG_PLANTED_BUG(kAckBeforeDurable)) {
    disk_->SyncLocked(sorter_);
  }
  return Status::Ok();
}

// Upstream's free-space guard (UPSTREAM.md §7.2 step 1), checked before anything else,
// even before the probe binlog is recognised.
Status MemoryBinlogStore::CheckSpaceGuardLocked(
    std::span<const binlog::Binlog> binlogs) const {
  const int64_t available = disk_->AvailableLocked();
  if (available > options_.stop_write_at_available_space_bytes) return Status::Ok();
  // Upstream still accepts fake binlogs so that drainers are not blocked.
  if (std::all_of(binlogs.begin(), binlogs.end(), IsFakeBinlog)) return Status::Ok();
  return Status::NoSpace("no available space, available: " + std::to_string(available) +
                         ", StopWriteAtAvailableSpace: " +
                         std::to_string(options_.stop_write_at_available_space_bytes));
}

// Every other reason to refuse a write of `bytes` encoded bytes, checked before anything
// is applied so that a refused write leaves no trace. Consumes injected faults.
Status MemoryBinlogStore::CheckWritableLocked(std::span<const binlog::Binlog> binlogs,
                                              int64_t bytes) {
  const int64_t available = disk_->AvailableLocked();
  if (bytes == 0) return Status::Ok();
  if (bytes > available) {
    ++write_errors_;
    return Status::IoError("write binlog: no space left on device");
  }
  if (disk_->failing_writes_ > 0) {
    --disk_->failing_writes_;
    ++write_errors_;
    return Status::IoError("write binlog: injected write failure");
  }
  const size_t prewrites = static_cast<size_t>(std::count_if(
      binlogs.begin(), binlogs.end(), [](const auto& b) { return b.tp() == binlog::Prewrite; }));
  if (sorter_.pending_count() + prewrites > kPendingPrewritesMax) {
    return Status::ResourceExhausted("too many prewrite binlogs waiting for their commit");
  }
  if (options_.sync && disk_->failing_syncs_ > 0) {
    --disk_->failing_syncs_;
    ++write_errors_;
    return Status::IoError("sync binlog: injected sync failure");
  }
  return Status::Ok();
}

Result<binlog::Binlog> MemoryBinlogStore::Lookup(int64_t ts) {
  std::lock_guard lock(disk_->mu_);
  if (closed_) return ClosedStatus();
  Result<std::shared_ptr<const binlog::Binlog>> stored = ReadLocked(ts);
  if (!stored.ok()) return stored.status();
  return binlog::Binlog(**stored);
}

Result<const MemoryDisk::Slot*> MemoryBinlogStore::CheckedSlotLocked(
    int64_t key, const MemoryDisk::Slot* slot) {
  // Keys at or below the GC bound are gone even if a late write put one there again.
  if (key <= deleted_bound_ || slot == nullptr) {
    return Status::NotFound(kBinlogNotFoundMessage);
  }
  if (slot->corrupt) {
    ++read_errors_;
    return Status::Corruption("binlog at ts " + std::to_string(key) +
                              ": stored value fails its checksum");
  }
  return slot;
}

Result<std::shared_ptr<const binlog::Binlog>> MemoryBinlogStore::ReadLocked(int64_t key) {
  return ReadSlotLocked(key, disk_->FindLocked(key));
}

Result<std::shared_ptr<const binlog::Binlog>> MemoryBinlogStore::ReadSlotLocked(
    int64_t key, const MemoryDisk::Slot* found) {
  Result<const MemoryDisk::Slot*> slot = CheckedSlotLocked(key, found);
  if (!slot.ok()) return slot.status();
  return (*slot)->binlog;
}

// The copying Pull: what PullShared shares, each binlog materialized (enriched copy).
Result<PullResult> MemoryBinlogStore::Pull(int64_t after_ts, size_t limit_count,
                                           size_t limit_bytes) {
  Result<SharedPullResult> shared = PullShared(after_ts, limit_count, limit_bytes);
  if (!shared.ok()) return shared.status();
  PullResult result;
  result.requested_purged = shared->requested_purged;
  result.skipped_unmatched = shared->skipped_unmatched;
  result.binlogs.reserve(shared->binlogs.size());
  for (const SharedPulledBinlog& b : shared->binlogs) result.binlogs.push_back(b.Materialize());
  return result;
}

// Each Commit comes with its Prewrite (both shared, nothing copied) and the size the
// enriched commit would encode to, which the byte limit counts.
Result<SharedPullResult> MemoryBinlogStore::PullShared(int64_t after_ts, size_t limit_count,
                                                       size_t limit_bytes) {
  std::lock_guard lock(disk_->mu_);
  if (closed_) return ClosedStatus();
  SharedPullResult result;
  result.requested_purged = after_ts <= disk_->gc_ts_;
  const int64_t from = std::max({after_ts, disk_->gc_ts_, int64_t{0}});  // never key 0
  const int64_t to = VisibleMaxCommitTsLocked();
  size_t bytes = 0;
  bool skip_first = BINLOG_PLANTED_BUG(kPullSkipsFirst) && after_ts > 0;
  for (auto it = disk_->UpperBoundLocked(from);
       it != disk_->slots_.end() && it->key <= to && result.binlogs.size() < limit_count;
       ++it) {
    if (it->tp == binlog::Prewrite) continue;
    if (skip_first) {
      skip_first = false;
      continue;
    }
    Result<std::shared_ptr<const binlog::Binlog>> c = ReadSlotLocked(it->key, &*it);
    if (!c.ok()) return c.status();
    SharedPulledBinlog pulled;
    pulled.commit = std::move(c).value();
    pulled.bytes = static_cast<size_t>(it->bytes);
    if (pulled.commit->commit_ts() != pulled.commit->start_ts()) {  // not fake: its Prewrite
      // Its key (start ts) is below the Commit's (commit ts): searched from there back.
      const int64_t start_ts = pulled.commit->start_ts();
      Result<std::shared_ptr<const binlog::Binlog>> p =
          start_ts < it->key ? ReadSlotLocked(start_ts, disk_->FindBeforeLocked(start_ts, it))
                             : ReadLocked(start_ts);
      if (p.status().code() == StatusCode::kNotFound) {
        ++result.skipped_unmatched;  // upstream: "Matching P-binlog not found"
        continue;
      }
      if (!p.ok()) return p.status();
      pulled.prewrite = std::move(p).value();
      pulled.bytes = EnrichedByteSize(*pulled.commit, *pulled.prewrite);
    }
    if (!result.binlogs.empty() && bytes + pulled.bytes > limit_bytes) break;
    bytes += pulled.bytes;
    result.binlogs.push_back(std::move(pulled));
  }
  return result;
}

int64_t MemoryBinlogStore::MaxCommitTS() const {
  std::lock_guard lock(disk_->mu_);
  return VisibleMaxCommitTsLocked();
}

int64_t MemoryBinlogStore::VisibleMaxCommitTsLocked() const {
  if (BINLOG_PLANTED_BUG(kMaxCommitPastUnmatched)) {
    return std::max(sorter_.max_commit_ts(), planted_max_seen_commit_ts_);
  }
  return sorter_.max_commit_ts();
}

MemoryBinlogStore::Watermarks MemoryBinlogStore::ReadWatermarks() const {
  std::lock_guard lock(disk_->mu_);
  return Watermarks{VisibleMaxCommitTsLocked(), disk_->gc_ts_};
}

int64_t MemoryBinlogStore::GcTS() const {
  std::lock_guard lock(disk_->mu_);
  return disk_->gc_ts_;
}

bool MemoryBinlogStore::AllMatched() const {
  std::lock_guard lock(disk_->mu_);
  return sorter_.all_matched();
}

GcOutcome MemoryBinlogStore::Gc(int64_t ts) {
  std::lock_guard lock(disk_->mu_);
  if (closed_ || ts <= disk_->gc_ts_) return GcOutcome::kIgnoredNotNewer;
  if (sorter_.max_commit_ts() <= ts) return GcOutcome::kIgnoredUnsafe;
  // Persisting gc_ts is a synced write, which (like a WAL sync) makes earlier writes
  // durable too; the deletions below are then durable at once. Not subject to injected
  // sync faults: upstream's GC has no error path a caller could observe.
  disk_->SyncLocked(sorter_);
  disk_->gc_ts_ = ts;
  const int64_t bound = BINLOG_PLANTED_BUG(kGcIgnoresMargin) ? ts : GcDeleteBound(ts);
  if (bound > deleted_bound_) {
    deleted_index_keys_ += disk_->DeleteUpToLocked(bound);
    deleted_bound_ = bound;
  }
  return GcOutcome::kAccepted;
}

BinlogStoreStats MemoryBinlogStore::Stats() const {
  std::lock_guard lock(disk_->mu_);
  BinlogStoreStats stats;
  stats.max_commit_ts = sorter_.max_commit_ts();
  stats.gc_ts = disk_->gc_ts_;
  stats.done_gc_ts = std::max<int64_t>(0, deleted_bound_);
  stats.deleted_index_keys = deleted_index_keys_;
  stats.capacity_bytes = disk_->capacity_bytes_;
  stats.available_bytes = disk_->AvailableLocked();
  stats.write_errors = write_errors_;
  stats.read_errors = read_errors_;
  return stats;
}

Status MemoryBinlogStore::Sync() {
  std::lock_guard lock(disk_->mu_);
  if (closed_) return ClosedStatus();
  if (disk_->failing_syncs_ > 0) {
    --disk_->failing_syncs_;
    ++write_errors_;
    return Status::IoError("sync binlog: injected sync failure");
  }
  disk_->SyncLocked(sorter_);
  return Status::Ok();
}

Status MemoryBinlogStore::Close() {
  std::lock_guard lock(disk_->mu_);
  if (closed_) return Status::Ok();
  disk_->SyncLocked(sorter_);
  ReleaseLocked();
  return Status::Ok();
}

void MemoryBinlogStore::Crash() {
  std::lock_guard lock(disk_->mu_);
  if (closed_) return;
  disk_->DropUnsyncedLocked();
  ReleaseLocked();
}

void MemoryBinlogStore::ReleaseLocked() {
  closed_ = true;
  disk_->in_use_ = false;
}

}  // namespace tidb_binlog
