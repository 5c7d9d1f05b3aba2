// The drainer's Merger instantiation (see merger.h); compiled once here so that users of
// Merger<MergeItem> do not each instantiate it.
#include "reference/drainer/merger.h"

namespace tidb_binlog {

template class Merger<MergeItem>;

}  // namespace tidb_binlog
