#include "reference/storage/binlog_store.h"

namespace tidb_binlog {

bool IsFakeBinlog(const binlog::Binlog& binlog) {
  return binlog.start_ts() > 0 && binlog.start_ts() == binlog.commit_ts();
}

int64_t BinlogIndexTs(const binlog::Binlog& binlog) {
  return binlog.tp() == binlog::Prewrite ? binlog.start_ts() : binlog.commit_ts();
}

}  // namespace tidb_binlog
