#include "conformance/in_process_cluster.h"

#include <algorithm>

#include "reference/core/assert.h"
#include "reference/core/binlog_codec.h"
#include "reference/core/tso.h"
#include "reference/core/tso_source.h"
#include "reference/drainer/checkpoint.h"
#include "reference/drainer/drainer_http.h"
#include "reference/drainer/drainer_node.h"
#include "reference/drainer/memory_destination.h"
#include "reference/metrics/drainer_metrics.h"
#include "reference/metrics/pump_metrics.h"
#include "reference/pump/pump_http.h"
#include "reference/pump/pump_node.h"
#include "reference/registry/memory_registry.h"
#include "reference/storage/memory_binlog_store.h"

namespace tidb_binlog::conformance {
namespace {

constexpr uint64_t kInProcessClusterId = 6'879'000'000'000'000'001ULL;
// Pulls answered per drive step at most, so a step stays bounded.
constexpr int kPullRoundsPerStepMax = 64;

// One PD in virtual time for every node.
class VirtualTso final : public TsoSource {
 public:
  explicit VirtualTso(const int64_t* now_ms) : now_ms_(now_ms) {}
  Result<int64_t> GetTs() override { return oracle_.Next(*now_ms_); }

 private:
  const int64_t* now_ms_;
  TsoOracle oracle_;
};

MetricsOptions NodeMetricsOptions() {
  MetricsOptions options;
  options.process_metrics = false;  // this process's figures say nothing about a node
  return options;
}

struct PumpSlot {
  std::shared_ptr<MemoryDisk> disk = std::make_shared<MemoryDisk>();
  std::unique_ptr<MemoryBinlogStore> store;
  std::unique_ptr<PumpMetrics> metrics;
  std::unique_ptr<PumpNode> node;
  std::unique_ptr<Router> router;
};

}  // namespace

struct InProcessCluster::Impl {
  int64_t now_ms = kInProcessStartMs;
  MemoryRegistry registry;
  VirtualTso tso{&now_ms};
  std::vector<PumpSlot> pumps;
  std::shared_ptr<MemoryCheckpointFile> checkpoint_file = std::make_shared<MemoryCheckpointFile>();
  std::unique_ptr<MemoryCheckpoint> checkpoint;
  MemoryDestination destination;
  std::unique_ptr<DrainerMetrics> drainer_metrics;
  std::unique_ptr<DrainerNode> drainer;
  std::unique_ptr<Router> drainer_router;

  int64_t NextDue() const {
    int64_t next = drainer ? drainer->NextTimerMs() : kNoTimerMs;
    for (const PumpSlot& p : pumps) next = std::min(next, p.node->NextTimerMs());
    return next;
  }

  PumpNode* PumpById(const std::string& id) {
    for (PumpSlot& p : pumps) {
      if (p.node->node_id() == id) return p.node.get();
    }
    return nullptr;
  }

  // Carries the drainer's pulls to the pumps and the answers back until none is left.
  void ServePulls() {
    if (!drainer) return;
    for (int round = 0; round < kPullRoundsPerStepMax; ++round) {
      std::vector<PullRequest> requests = drainer->TakePullRequests();
      if (requests.empty()) return;
      for (const PullRequest& r : requests) {
        PumpNode* pump = PumpById(r.pump_node_id);
        Result<PullResult> result = Status::Unavailable("connection refused");
        if (pump != nullptr && !pump->Stopped()) {
          binlog::PullBinlogReq request;
          request.set_clusterid(kInProcessClusterId);
          request.mutable_startfrom()->set_offset(r.after_ts);
          result = pump->PullBinlogs(request, r.limit_count, r.limit_bytes);
        }
        drainer->OnPullResponse(r.id, std::move(result), now_ms);
      }
    }
  }

  void RunDue() {
    ServePulls();
    for (int64_t next = NextDue(); next <= now_ms; next = NextDue()) {
      for (PumpSlot& p : pumps) {
        if (p.node->NextTimerMs() <= now_ms) p.node->OnTimer(now_ms);
      }
      if (drainer && drainer->NextTimerMs() <= now_ms) drainer->OnTimer(now_ms);
      ServePulls();
    }
  }

  void AdvanceTo(int64_t to_ms) {
    for (int64_t next = NextDue(); next <= to_ms; next = NextDue()) {
      now_ms = std::max(now_ms, next);
      RunDue();
    }
    now_ms = to_ms;
    RunDue();
  }
};

InProcessCluster::InProcessCluster(int pump_count, bool with_drainer) : impl_(std::make_unique<Impl>()) {
  Impl& c = *impl_;
  c.pumps.resize(static_cast<size_t>(pump_count));
  for (int i = 0; i < pump_count; ++i) {
    PumpSlot& p = c.pumps[static_cast<size_t>(i)];
    const std::string port = std::to_string(kInProcessFirstPumpPort + i);
    PumpOptions options;
    options.node_id = "pump-" + std::to_string(i) + ":" + port;
    options.advertise_addr = "127.0.0.1:" + port;
    options.cluster_id = kInProcessClusterId;
    p.store = MemoryBinlogStore::Open(p.disk).value();
    p.metrics = std::make_unique<PumpMetrics>(NodeMetricsOptions());
    p.node = std::make_unique<PumpNode>(options, *p.store, c.registry, c.tso, *p.metrics);
    p.router = std::make_unique<Router>(MakePumpRouter(*p.node));
  }
  if (!with_drainer) return;
  DrainerOptions options;
  options.node_id = "drainer-0:" + std::to_string(kInProcessDrainerPort);
  options.advertise_addr = "127.0.0.1:" + std::to_string(kInProcessDrainerPort);
  c.checkpoint = std::make_unique<MemoryCheckpoint>(c.checkpoint_file, options.initial_commit_ts);
  c.drainer_metrics = std::make_unique<DrainerMetrics>(NodeMetricsOptions());
  c.drainer = std::make_unique<DrainerNode>(options, c.registry, c.tso, *c.checkpoint,
                                            c.destination, *c.drainer_metrics);
  c.drainer_router = std::make_unique<Router>(
      MakeDrainerRouter(*c.drainer, [&c] { return c.now_ms; }));
}

InProcessCluster::~InProcessCluster() = default;

Status InProcessCluster::Start(int64_t warm_up_ms) {
  for (PumpSlot& p : impl_->pumps) {
    Status s = p.node->Start(impl_->now_ms);
    if (!s.ok()) return s.Annotate("pump " + p.node->node_id());
  }
  if (impl_->drainer) {
    Status s = impl_->drainer->Start(impl_->now_ms);
    if (!s.ok()) return s.Annotate("drainer");
  }
  AdvanceBy(warm_up_ms);
  return Status::Ok();
}

void InProcessCluster::AdvanceBy(int64_t ms) { impl_->AdvanceTo(impl_->now_ms + ms); }
int64_t InProcessCluster::now_ms() const { return impl_->now_ms; }
int InProcessCluster::pump_count() const { return static_cast<int>(impl_->pumps.size()); }
int64_t InProcessCluster::NextTso() { return impl_->tso.GetTs().value(); }

std::optional<HttpResponse> InProcessCluster::HandlePump(int index, const HttpRequest& request) {
  PumpSlot& p = impl_->pumps.at(static_cast<size_t>(index));
  if (p.node->Stopped()) return std::nullopt;
  HttpResponse response = p.router->Route(request);
  impl_->RunDue();
  return response;
}

std::optional<HttpResponse> InProcessCluster::HandleDrainer(const HttpRequest& request) {
  BINLOG_ASSERT(impl_->drainer != nullptr);
  if (impl_->drainer->Stopped()) return std::nullopt;
  HttpResponse response = impl_->drainer_router->Route(request);
  impl_->RunDue();
  return response;
}

Status InProcessCluster::WritePumpBinlog(int index, const binlog::Binlog& binlog) {
  BINLOG_ASSERT(index >= 0 && index < pump_count());
  PumpNode& node = *impl_->pumps[static_cast<size_t>(index)].node;
  if (node.Stopped()) return Status::Unavailable("connection refused");
  binlog::WriteBinlogReq request;
  request.set_clusterid(kInProcessClusterId);
  request.set_payload(EncodeBinlog(binlog));
  Status written = node.WriteBinlog(request, impl_->now_ms);
  impl_->RunDue();
  return written;
}

std::unique_ptr<Target> InProcessCluster::PumpTarget(int index) {
  const std::string url = "http://127.0.0.1:" + std::to_string(kInProcessFirstPumpPort + index);
  return MakeInProcessTarget(url, [this, index](const HttpRequest& r) { return HandlePump(index, r); });
}

std::unique_ptr<Target> InProcessCluster::DrainerTarget() {
  const std::string url = "http://127.0.0.1:" + std::to_string(kInProcessDrainerPort);
  return MakeInProcessTarget(url, [this](const HttpRequest& r) { return HandleDrainer(r); });
}

}  // namespace tidb_binlog::conformance
