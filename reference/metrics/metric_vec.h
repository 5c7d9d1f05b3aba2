// MetricVec<T>: a prometheus-cpp family with fixed label names, as client_golang's
// CounterVec / GaugeVec / HistogramVec (and histogram buckets fixed at construction).
//
// prometheus-cpp families accept any label set per child; upstream's vectors declare their
// label names once, and a child exists only after WithLabelValues() first names it (so it is
// absent from the exposition until then). This wrapper adds exactly that: the label names,
// a check that every call supplies one value per name (a programmer error otherwise), and
// the buckets handed to each new histogram child.
//
// Ownership: the family belongs to a prometheus::Registry that must outlive this object. The
// returned child references stay valid as long as that registry (children are never
// removed), so hot paths may keep them. Thread-safety: WithLabelValues() is safe to call
// concurrently (an internal mutex; prometheus-cpp locks the family); children are
// thread-safe. Not copyable or movable (it holds a mutex): build it in place.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/labels.h"
#include "reference/core/assert.h"

namespace tidb_binlog {

template <typename T>
class MetricVec {
 public:
  MetricVec(prometheus::Family<T>& family, std::vector<std::string> label_names,
            std::vector<double> buckets = {})
      : family_(&family), label_names_(std::move(label_names)), buckets_(std::move(buckets)) {
    BINLOG_ASSERT(!label_names_.empty());
    if constexpr (!std::is_same_v<T, prometheus::Histogram>) BINLOG_ASSERT(buckets_.empty());
  }

  // The child for these label values (in label_names() order), created on first use.
  T& WithLabelValues(const std::vector<std::string>& values) {
    BINLOG_ASSERT(values.size() == label_names_.size());
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = children_.find(values);
    if (it != children_.end()) return *it->second;
    prometheus::Labels labels;
    for (size_t i = 0; i < values.size(); ++i) labels.emplace(label_names_[i], values[i]);
    T* child;
    if constexpr (std::is_same_v<T, prometheus::Histogram>) {
      child = &family_->Add(labels, buckets_);
    } else {
      child = &family_->Add(labels);
    }
    children_.emplace(values, child);
    return *child;
  }

  const std::string& name() const { return family_->GetName(); }
  const std::vector<std::string>& label_names() const { return label_names_; }
  const std::vector<double>& buckets() const { return buckets_; }

 private:
  prometheus::Family<T>* family_;
  const std::vector<std::string> label_names_;
  const std::vector<double> buckets_;
  // prometheus-cpp's Family::Add builds a new metric (for a histogram: its bucket vectors)
  // before finding the existing one, so repeated lookups go through this index instead.
  // Its size is the family's number of children, bounded by upstream's label value sets.
  std::mutex mutex_;
  std::map<std::vector<std::string>, T*> children_;
};

}  // namespace tidb_binlog
