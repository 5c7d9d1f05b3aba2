// The BinlogStore contract suite's plumbing (test-only): one StoreHarness per
// implementation, and the value-parameterised fixture BinlogStoreContract whose TEST_Ps live
// in binlog_store_contract_test.cc.
//
// An implementation joins the suite with, in a test file linked into binlog_store_test:
//
//   INSTANTIATE_TEST_SUITE_P(RocksDb, BinlogStoreContract,
//                            ::testing::Values(HarnessFactory([] { return MakeMyHarness(); })),
//                            ContractParamName);
//
// Each test gets a fresh harness (a fresh, empty place to store into); Open() on that
// harness always opens the same place, so closing and opening again is a restart.
//
// Thread safety: a harness is used by one test thread; the stores it opens must honour
// the BinlogStore contract (any thread).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "reference/storage/binlog_store.h"

namespace tidb_binlog {

struct ContractOptions {
  bool sync = true;  // upstream sync-log
  // Upstream's stop-write-at-available-space; 0 keeps the guard out of the way unless the
  // disk is completely full.
  int64_t stop_write_at_available_space_bytes = 0;
  // The simulated free space a MemoryDisk reports; real stores ignore it.
  int64_t available_bytes_for_memory_store = int64_t{1} << 40;
};

class StoreHarness {
 public:
  virtual ~StoreHarness() = default;
  // Opens the store on this harness's place (the same place on every call).
  virtual Result<std::unique_ptr<BinlogStore>> Open(const ContractOptions& options) = 0;
  // A test-name-safe identifier ([A-Za-z0-9_]), e.g. "Memory".
  virtual std::string Name() const = 0;
};

using HarnessFactory = std::function<std::unique_ptr<StoreHarness>()>;

// Names an instantiation's test after its harness.
inline std::string ContractParamName(const ::testing::TestParamInfo<HarnessFactory>& info) {
  return info.param()->Name();
}

class BinlogStoreContract : public ::testing::TestWithParam<HarnessFactory> {
 protected:
  void SetUp() override { harness_ = GetParam()(); }

  void TearDown() override {
    if (store_ != nullptr) {
      EXPECT_TRUE(store_->Close().ok());
    }
    store_.reset();
    harness_.reset();
  }

  // Opens store_ (closing the previous one first); use under ASSERT_NO_FATAL_FAILURE.
  void Open(const ContractOptions& options = {}) {
    if (store_ != nullptr) {
      ASSERT_TRUE(store_->Close().ok());
    }
    store_.reset();
    Result<std::unique_ptr<BinlogStore>> opened = harness_->Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
  }

  std::unique_ptr<StoreHarness> harness_;
  std::unique_ptr<BinlogStore> store_;
};

}  // namespace tidb_binlog
