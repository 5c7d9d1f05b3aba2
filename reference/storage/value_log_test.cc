// Goal: the value log writes upstream's bytes (record header, footer, 12-byte pointers),
// rotates and finalizes files, deletes only finalized files at or below a ts bound, and
// reports durability honestly: Write does not advance Synced(), SyncTo (or a rotation) does,
// and one failed fdatasync fails every later Write and SyncTo. Method: append through the
// API, then inspect the files' bytes and reopen; fdatasync failures are injected.
#include "reference/storage/value_log.h"

#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "reference/storage/crc32c.h"

namespace tidb_binlog {
namespace {

namespace fs = std::filesystem;

// Test payloads are the decimal index ts itself.
ValueLogOptions Options(const std::string& dir) {
  ValueLogOptions o;
  o.dir = dir;
  o.file_bytes_max = 100;
  o.sync = false;
  o.index_ts_of = [](std::string_view p) -> Result<int64_t> { return std::stoll(std::string(p)); };
  return o;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

class ValueLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "value_log_XXXXXX";
    dir_ = ::mkdtemp(pattern.data());
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_;
};

TEST_F(ValueLogTest, PointerIsFidThenOffsetLittleEndian) {
  ValuePointer p{0x01020304, 0x0A0B0C0D0E0F1011};
  EXPECT_EQ(p.Encode(), std::string("\x04\x03\x02\x01\x11\x10\x0F\x0E\x0D\x0C\x0B\x0A", 12));
  auto back = ValuePointer::Decode(p.Encode());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, p);
  EXPECT_EQ(ValuePointer::Decode("short").status().code(), StatusCode::kCorruption);
}

TEST_F(ValueLogTest, RecordBytesAreUpstreams) {
  std::string record;
  AppendRecord("abc", &record);
  ASSERT_EQ(record.size(), kRecordHeaderBytes + 3);
  EXPECT_EQ(record.substr(0, 4), std::string("\xe8\x56\x3a\x82", 4));
  EXPECT_EQ(record.substr(4, 8), std::string("\x03\0\0\0\0\0\0\0", 8));
  uint32_t crc = crc32c::Value("abc", 3);
  EXPECT_EQ(record.substr(12, 4), std::string(reinterpret_cast<const char*>(&crc), 4));
  EXPECT_EQ(record.substr(16), "abc");
}

TEST_F(ValueLogTest, RecordInPlaceIsTheSameBytes) {
  std::string expected, built = "prefix";
  AppendRecord("payload", &expected);
  AppendRecordInPlace(7, [](char* payload) { std::memcpy(payload, "payload", 7); }, &built);
  EXPECT_EQ(built, "prefix" + expected);
}

// Records in several buffers go to the log as if concatenated, with one position each.
TEST_F(ValueLogTest, WriteOfPartsIsTheirConcatenation) {
  auto log = ValueLog::Open(Options(dir_));
  ASSERT_TRUE(log.ok());
  std::string a, b;
  AppendRecord("first", &a);
  AppendRecord("second", &a);
  AppendRecord("third", &b);
  const std::vector<std::string_view> parts = {a, b};
  auto start = (*log)->Write(parts, 3000);
  ASSERT_TRUE(start.ok());
  EXPECT_EQ((*log)->End(), (ValuePointer{start->fid, start->offset + a.size() + b.size()}));
  std::vector<std::string> payloads;
  ASSERT_TRUE((*log)->Scan(*start, [&](ValuePointer, ValuePointer, std::string_view p) {
    payloads.emplace_back(p);
    return Status::Ok();
  }).ok());
  EXPECT_EQ(payloads, (std::vector<std::string>{"first", "second", "third"}));
}

TEST_F(ValueLogTest, RotatesWithFooterAndReadsBack) {
  auto log = ValueLog::Open(Options(dir_));
  ASSERT_TRUE(log.ok());
  std::vector<ValuePointer> at;
  for (int ts = 1; ts <= 20; ++ts) {
    std::string records;
    AppendRecord(std::to_string(ts * 1000), &records);
    auto p = (*log)->Append(records, ts * 1000);
    ASSERT_TRUE(p.ok());
    at.push_back(*p);
  }
  EXPECT_EQ(at.back().fid, 3u);  // 20-byte records, rotation once 100 bytes are reached
  const std::string first = ReadFile(ValueLogFilePath(dir_, 0));
  ASSERT_GE(first.size(), kFooterBytes);
  EXPECT_EQ(first.substr(first.size() - 4), std::string("\x22\xb9\x3a\x12", 4));
  for (int i = 0; i < 20; ++i) {
    auto payload = (*log)->Read(at[i]);
    ASSERT_TRUE(payload.ok());
    EXPECT_EQ(*payload, std::to_string((i + 1) * 1000));
  }
  // Reopen keeps appending to the last file and sees every record.
  log->reset();
  log = ValueLog::Open(Options(dir_));
  ASSERT_TRUE(log.ok());
  int seen = 0;
  ASSERT_TRUE((*log)->Scan({}, [&](ValuePointer, ValuePointer, std::string_view) {
    ++seen;
    return Status::Ok();
  }).ok());
  EXPECT_EQ(seen, 20);
}

// The file being written is extended with zeros ahead of its records (so that a durable
// write does not grow it); those zeros never stay: a clean close cuts them, and after a crash
// Open cuts them off without counting them as a torn record, and appends where the records end.
TEST_F(ValueLogTest, ZerosWrittenAheadAreNoPartOfTheFiles) {
  const std::string crashed = dir_ + "/crashed";
  std::string record;
  AppendRecord("7", &record);
  {
    auto options = Options(dir_ + "/log");
    options.file_bytes_max = kZeroFillAheadBytes * 4;
    auto log = ValueLog::Open(options);
    ASSERT_TRUE(log.ok());
    ASSERT_TRUE((*log)->Append(record, 7).ok());
    EXPECT_GT(fs::file_size(ValueLogFilePath(dir_ + "/log", 0)), record.size());
    fs::copy(dir_ + "/log", crashed);  // the files as a crash right now would leave them
  }
  EXPECT_EQ(ReadFile(ValueLogFilePath(dir_ + "/log", 0)), record);
  auto options = Options(crashed);
  options.file_bytes_max = kZeroFillAheadBytes * 4;
  auto log = ValueLog::Open(options);
  ASSERT_TRUE(log.ok());
  EXPECT_EQ((*log)->truncated_tail_bytes(), 0u);
  EXPECT_EQ((*log)->End(), (ValuePointer{0, record.size()}));
  std::string second;
  AppendRecord("8", &second);
  auto at = (*log)->Append(second, 8);
  ASSERT_TRUE(at.ok());
  EXPECT_EQ(*at, (ValuePointer{0, record.size()}));
  log->reset();
  EXPECT_EQ(ReadFile(ValueLogFilePath(crashed, 0)), record + second);
}

TEST_F(ValueLogTest, DeletesOnlyFinalizedFilesAtOrBelowTheBound) {
  auto log = ValueLog::Open(Options(dir_));
  ASSERT_TRUE(log.ok());
  ValuePointer last;
  for (int ts = 1; ts <= 20; ++ts) {
    std::string records;
    AppendRecord(std::to_string(ts * 1000), &records);
    auto p = (*log)->Append(records, ts * 1000);
    ASSERT_TRUE(p.ok());
    last = *p;
  }
  // File 0 holds ts 1000..5000.
  EXPECT_EQ(*(*log)->DeleteFilesUpTo(4999), 0);
  EXPECT_EQ(*(*log)->DeleteFilesUpTo(5000), 1);
  EXPECT_FALSE(fs::exists(ValueLogFilePath(dir_, 0)));
  auto removed = (*log)->DeleteFilesUpTo(INT64_MAX);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, static_cast<int>(last.fid) - 1);  // all but the current file
  EXPECT_TRUE(fs::exists(ValueLogFilePath(dir_, last.fid)));
  EXPECT_EQ((*log)->Read({0, 0}).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE((*log)->Read(last).ok());
}

// Reads go two ways: finalized files through a shared mapping, the file being written with
// pread (a first chunk, then the rest of a longer record). Both must give whole records
// and catch the same damage.
TEST_F(ValueLogTest, ReadViewGivesWholeRecordsFromFinalizedAndCurrentFiles) {
  ValueLogOptions options = Options(dir_);
  options.file_bytes_max = 64 << 10;
  auto log = ValueLog::Open(options);
  ASSERT_TRUE(log.ok());
  // Payloads "<ts>" padded with spaces (index_ts_of stops at them) to cross pread chunks.
  std::vector<std::string> payloads;
  std::vector<ValuePointer> at;
  for (int ts = 1; ts <= 8; ++ts) {
    payloads.push_back(std::to_string(ts) + std::string(static_cast<size_t>(ts) * 5000, ' '));
    std::string records;
    AppendRecord(payloads.back(), &records);
    auto p = (*log)->Append(records, ts);
    ASSERT_TRUE(p.ok());
    at.push_back(*p);
  }
  ASSERT_EQ(at.front().fid, 0u);
  ASSERT_GT(at.back().fid, 0u);  // the last records are in the current file
  ValueLogReadBuffer buffer;
  for (size_t i = 0; i < at.size(); ++i) {
    auto view = (*log)->ReadView(at[i], &buffer);
    ASSERT_TRUE(view.ok()) << view.status().ToString();
    EXPECT_EQ(*view, payloads[i]);
  }
  // A view of a finalized file stays readable while its buffer holds it, even once GC
  // has deleted the file.
  auto view = (*log)->ReadView(at.front(), &buffer);
  ASSERT_TRUE(view.ok());
  ASSERT_GE((*log)->DeleteFilesUpTo(INT64_MAX).value(), 1);
  EXPECT_EQ(*view, payloads.front());
  EXPECT_EQ((*log)->ReadView(at.front(), &buffer).status().code(), StatusCode::kNotFound);
}

TEST_F(ValueLogTest, ReadCatchesDamageInFinalizedAndCurrentFiles) {
  auto log = ValueLog::Open(Options(dir_));
  ASSERT_TRUE(log.ok());
  std::vector<ValuePointer> at;
  for (int ts = 1; ts <= 8; ++ts) {
    std::string records;
    AppendRecord(std::to_string(ts * 1000), &records);
    auto p = (*log)->Append(records, ts * 1000);
    ASSERT_TRUE(p.ok());
    at.push_back(*p);
  }
  const ValuePointer finalized = at.front(), current = at.back();
  ASSERT_NE(finalized.fid, current.fid);
  for (ValuePointer p : {finalized, current}) {
    // Flip the payload's last byte in place (the mapping shares the page cache).
    std::fstream file(ValueLogFilePath(dir_, p.fid), std::ios::in | std::ios::out |
                                                         std::ios::binary);
    file.seekp(static_cast<std::streamoff>(p.offset + kRecordHeaderBytes + 3));
    file.put('x');
    file.close();
    auto read = (*log)->Read(p);
    EXPECT_EQ(read.status().code(), StatusCode::kCorruption);
    EXPECT_NE(read.status().message().find("checksum mismatch"), std::string::npos);
    auto beyond = (*log)->Read({p.fid, p.offset + 1});
    EXPECT_EQ(beyond.status().code(), StatusCode::kCorruption);
    EXPECT_NE(beyond.status().message().find("bad record header"), std::string::npos);
  }
  EXPECT_EQ((*log)->Read({finalized.fid, uint64_t{1} << 40}).status().code(),
            StatusCode::kCorruption);
}

std::string Record(int64_t ts) {
  std::string records;
  AppendRecord(std::to_string(ts), &records);
  return records;
}

TEST_F(ValueLogTest, WriteIsDurableOnlyOnceASyncCoversIt) {
  auto options = Options(dir_);
  options.file_bytes_max = 1 << 20;
  auto log = ValueLog::Open(options);
  ASSERT_TRUE(log.ok());
  const ValuePointer before = (*log)->Synced();
  auto first = (*log)->Write(Record(1000), 1000);
  auto second = (*log)->Write(Record(2000), 2000);
  ASSERT_TRUE(first.ok() && second.ok());
  const ValuePointer end = (*log)->End();
  EXPECT_EQ(end.offset, second->offset + Record(2000).size());
  EXPECT_EQ((*log)->Synced(), before);  // written, not yet durable
  ASSERT_TRUE((*log)->SyncTo({first->fid, second->offset}).ok());
  EXPECT_EQ((*log)->Synced(), (ValuePointer{first->fid, second->offset}));
  ASSERT_TRUE((*log)->SyncTo(end).ok());
  EXPECT_EQ((*log)->Synced(), end);
  ASSERT_TRUE((*log)->SyncTo({0, 0}).ok());  // already covered: nothing to do
  EXPECT_EQ((*log)->Synced(), end);
}

TEST_F(ValueLogTest, RotationMakesTheFullFileDurable) {
  auto log = ValueLog::Open(Options(dir_));  // 100-byte files, 20-byte records
  ASSERT_TRUE(log.ok());
  ValuePointer last;
  for (int ts = 1; ts <= 6; ++ts) {
    auto p = (*log)->Write(Record(ts * 1000), ts * 1000);
    ASSERT_TRUE(p.ok());
    last = *p;
  }
  ASSERT_EQ(last.fid, 1u);
  // File 0 got its footer and an fdatasync before file 1 was created.
  EXPECT_GE((*log)->Synced(), (ValuePointer{1, 0}));
  EXPECT_LT((*log)->Synced(), (*log)->End());
}

TEST_F(ValueLogTest, AFailedSyncFailsEveryLaterWriteAndSync) {
  auto options = Options(dir_);
  options.file_bytes_max = 1 << 20;
  auto fail = std::make_shared<bool>(false);
  options.fail_sync_for_testing = [fail] { return *fail; };
  auto log = ValueLog::Open(options);
  ASSERT_TRUE(log.ok());
  ASSERT_TRUE((*log)->Write(Record(1000), 1000).ok());
  const ValuePointer durable = (*log)->End();
  ASSERT_TRUE((*log)->SyncTo(durable).ok());
  ASSERT_TRUE((*log)->Write(Record(2000), 2000).ok());
  *fail = true;
  EXPECT_EQ((*log)->SyncTo((*log)->End()).code(), StatusCode::kIoError);
  *fail = false;
  EXPECT_EQ((*log)->broken().code(), StatusCode::kIoError);
  EXPECT_EQ((*log)->Write(Record(3000), 3000).status().code(), StatusCode::kIoError);
  EXPECT_EQ((*log)->SyncTo((*log)->End()).code(), StatusCode::kIoError);
  EXPECT_EQ((*log)->Append(Record(4000), 4000).status().code(), StatusCode::kIoError);
  EXPECT_EQ((*log)->Synced(), durable);
}

}  // namespace
}  // namespace tidb_binlog
