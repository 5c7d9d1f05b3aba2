// Goal: a Status carries its code and message the same way whether the message was copied in
// or is referred to (WithStaticMessage, the allocation-free form of hot paths): through
// copies and moves, into a Result, and in ToString/Annotate. Method: plain value checks.
#include "reference/core/status.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>

namespace tidb_binlog {
namespace {

const std::string kStaticText = "leveldb: not found";  // longer than the inline buffer

TEST(Status, StaticMessageReadsLikeACopiedOne) {
  const Status copied = Status::NotFound(kStaticText);
  const Status referred = Status::WithStaticMessage(StatusCode::kNotFound, kStaticText);
  EXPECT_FALSE(referred.ok());
  EXPECT_EQ(referred.code(), StatusCode::kNotFound);
  EXPECT_EQ(&referred.message(), &kStaticText);  // not copied
  EXPECT_EQ(referred.message(), copied.message());
  EXPECT_EQ(referred.ToString(), "NotFound: leveldb: not found");
  EXPECT_EQ(referred.ToString(), copied.ToString());
  const Status annotated = referred.Annotate("lookup");
  EXPECT_EQ(annotated.message(), "lookup: leveldb: not found");
  EXPECT_EQ(annotated.code(), StatusCode::kNotFound);
}

TEST(Status, StaticMessageSurvivesCopiesMovesAndResult) {
  Status original = Status::WithStaticMessage(StatusCode::kNotFound, kStaticText);
  Status copy = original;
  Status moved = std::move(original);
  EXPECT_EQ(copy.message(), kStaticText);
  EXPECT_EQ(moved.message(), kStaticText);
  Result<int> result(moved);
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(result.status().message(), kStaticText);
  // Assigning a copied-message status over a referring one shows the new message.
  copy = Status::IoError("disk");
  EXPECT_EQ(copy.message(), "disk");
  EXPECT_EQ(copy.code(), StatusCode::kIoError);
}

}  // namespace
}  // namespace tidb_binlog
