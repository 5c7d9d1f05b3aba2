// RewriteGoStyleFlags: lets a CLI11 command line accept upstream's Go `flag` syntax.
//
// Upstream's pump and drainer use Go's flag package, where a long flag takes one dash or two
// (`-gc 7`, `--gc 7`, `-gc=7`). CLI11 reads `-gc` as the short flags `-g -c`, so before
// parsing we rewrite every single-dash argument whose name has two or more characters and
// starts with a letter into the double-dash form. Untouched: one-letter flags (`-L info` stays
// a short flag), values that look like negative numbers (`-initial-commit-ts -1`), `-` alone,
// and everything after a `--` terminator.
//
// Thread safety: a pure function.
#pragma once

#include <string>
#include <vector>

namespace tidb_binlog {

std::vector<std::string> RewriteGoStyleFlags(const std::vector<std::string>& args);

}  // namespace tidb_binlog
