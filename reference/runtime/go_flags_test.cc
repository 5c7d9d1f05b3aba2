// Goal: upstream's Go-style command lines reach CLI11 in the form it parses. Method: rewrite
// typical pump/drainer argument lists and compare with the expected vectors.
#include "reference/runtime/go_flags.h"

#include <gtest/gtest.h>

namespace tidb_binlog {
namespace {

using Args = std::vector<std::string>;

TEST(RewriteGoStyleFlagsTest, SingleDashLongFlagsGainADash) {
  EXPECT_EQ(RewriteGoStyleFlags({"binlog-cluster", "-gc", "7", "-data-dir=/tmp/x"}),
            (Args{"binlog-cluster", "--gc", "7", "--data-dir=/tmp/x"}));
}

TEST(RewriteGoStyleFlagsTest, DoubleDashAndShortFlagsAreKept) {
  EXPECT_EQ(RewriteGoStyleFlags({"p", "--gc", "7", "-L", "debug", "-h"}),
            (Args{"p", "--gc", "7", "-L", "debug", "-h"}));
}

TEST(RewriteGoStyleFlagsTest, NegativeNumbersAndLoneDashAreValues) {
  EXPECT_EQ(RewriteGoStyleFlags({"p", "-initial-commit-ts", "-1", "-"}),
            (Args{"p", "--initial-commit-ts", "-1", "-"}));
}

TEST(RewriteGoStyleFlagsTest, NothingAfterTheTerminatorIsRewritten) {
  EXPECT_EQ(RewriteGoStyleFlags({"p", "--", "-gc"}), (Args{"p", "--", "-gc"}));
}

TEST(RewriteGoStyleFlagsTest, OneLetterNameWithValueStaysShort) {
  EXPECT_EQ(RewriteGoStyleFlags({"p", "-L=warn"}), (Args{"p", "-L=warn"}));
}

}  // namespace
}  // namespace tidb_binlog
