#include "reference/core/binlog_codec.h"

#include <type_traits>

#include <google/protobuf/unknown_field_set.h>

namespace tidb_binlog {
namespace {

// protobuf's parser takes the size as an int; nothing larger can be a binlog.
constexpr size_t kDecodeBytesMax = static_cast<size_t>(INT32_MAX);

using google::protobuf::Message;
using google::protobuf::UnknownFieldSet;

bool AlwaysWrittenPresent(const binlog::Binlog& b) {
  return b.has_tp() && b.has_start_ts() && b.has_commit_ts() && b.has_ddl_job_id() &&
         b.has_ddl_schema_state();
}

void MarkAlwaysWrittenPresent(binlog::Binlog* b) {
  // Setting a proto3 `optional` field to its current value marks it present.
  b->set_tp(b->tp());
  b->set_start_ts(b->start_ts());
  b->set_commit_ts(b->commit_ts());
  b->set_ddl_job_id(b->ddl_job_id());
  b->set_ddl_schema_state(b->ddl_schema_state());
}

bool AlwaysWrittenPresent(const binlog::PrewriteValue& v) {
  if (!v.has_schema_version()) return false;
  for (const binlog::TableMutation& m : v.mutations()) {
    if (!m.has_table_id()) return false;
  }
  return true;
}

void MarkAlwaysWrittenPresent(binlog::PrewriteValue* v) {
  v->set_schema_version(v->schema_version());
  for (binlog::TableMutation& m : *v->mutable_mutations()) m.set_table_id(m.table_id());
}

// Serializes `message` after marking its always-written scalars present. Messages decoded
// from upstream bytes (or built by MakeFakeBinlog) already have them, and are serialized
// without the copy: payloads can be megabytes.
template <typename M>
std::string EncodeAlwaysWritten(const M& message) {
  std::string out;
  if (AlwaysWrittenPresent(message)) {
    message.SerializeToString(&out);
    return out;
  }
  M copy = message;
  MarkAlwaysWrittenPresent(&copy);
  copy.SerializeToString(&out);
  return out;
}

// protobuf moves a known field number with the wrong wire type into the unknown fields;
// gogo's Unmarshal fails with "proto: wrong wireType". Returns the offending number or 0.
int KnownNumberAmongUnknown(const Message& message) {
  const UnknownFieldSet& unknown = message.GetReflection()->GetUnknownFields(message);
  for (int i = 0; i < unknown.field_count(); ++i) {
    const int number = unknown.field(i).number();
    if (message.GetDescriptor()->FindFieldByNumber(number) != nullptr) return number;
  }
  return 0;
}

Status CheckWireTypes(const Message& message) {
  if (int number = KnownNumberAmongUnknown(message); number != 0) {
    return Status::Corruption("cannot decode " + message.GetDescriptor()->full_name() +
                              ": wrong wire type for field " + std::to_string(number));
  }
  return Status::Ok();
}

// Parses `bytes` into `message` (cleared first; its memory is reused).
template <typename M>
Status DecodeInto(std::string_view bytes, M* message) {
  if (bytes.size() > kDecodeBytesMax) {
    return Status::Corruption("cannot decode " + M::descriptor()->full_name() + ": " +
                              std::to_string(bytes.size()) + " bytes exceed the protobuf limit");
  }
  if (!message->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Status::Corruption("cannot decode " + M::descriptor()->full_name() + " from " +
                              std::to_string(bytes.size()) + " bytes");
  }
  BINLOG_RETURN_IF_ERROR(CheckWireTypes(*message));
  if constexpr (std::is_same_v<M, binlog::PrewriteValue>) {
    for (const binlog::TableMutation& mutation : message->mutations()) {
      BINLOG_RETURN_IF_ERROR(CheckWireTypes(mutation));
    }
  }
  return Status::Ok();
}

template <typename M>
Result<M> DecodeMessage(std::string_view bytes) {
  M message;
  BINLOG_RETURN_IF_ERROR(DecodeInto(bytes, &message));
  return message;
}

}  // namespace

std::string EncodeBinlog(const binlog::Binlog& binlog) { return EncodeAlwaysWritten(binlog); }

Result<binlog::Binlog> DecodeBinlog(std::string_view bytes) {
  return DecodeMessage<binlog::Binlog>(bytes);
}

std::string EncodePrewriteValue(const binlog::PrewriteValue& value) {
  return EncodeAlwaysWritten(value);
}

Result<binlog::PrewriteValue> DecodePrewriteValue(std::string_view bytes) {
  return DecodeMessage<binlog::PrewriteValue>(bytes);
}

Status DecodePrewriteValueInto(std::string_view bytes, binlog::PrewriteValue* value) {
  return DecodeInto(bytes, value);
}

binlog::Binlog MakeFakeBinlog(int64_t ts) {
  binlog::Binlog binlog;
  binlog.set_tp(binlog::Rollback);
  binlog.set_start_ts(ts);
  binlog.set_commit_ts(ts);
  binlog.set_ddl_job_id(0);
  binlog.set_ddl_schema_state(0);
  return binlog;
}

}  // namespace tidb_binlog
