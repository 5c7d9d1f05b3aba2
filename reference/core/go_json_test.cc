// Checks the Go encoding/json printer against outputs of json.Marshal / MarshalIndent for
// the same values, written out by hand from Go's rules (UPSTREAM.md §1.3): key order,
// escaping, integers, floats, indentation, and the two response-body styles.
#include "reference/core/go_json.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <map>
#include <string>

#include <boost/json/parse.hpp>

namespace tidb_binlog {
namespace {

std::string Str(std::string_view s) {
  std::string out;
  AppendGoJsonString(s, &out);
  return out;
}

TEST(GoJsonTest, Scalars) {
  EXPECT_EQ(GoJsonCompact(nullptr), "null");
  EXPECT_EQ(GoJsonCompact(true), "true");
  EXPECT_EQ(GoJsonCompact(false), "false");
  EXPECT_EQ(GoJsonCompact(int64_t{0}), "0");
  EXPECT_EQ(GoJsonCompact(std::numeric_limits<int64_t>::min()), "-9223372036854775808");
  EXPECT_EQ(GoJsonCompact(std::numeric_limits<uint64_t>::max()), "18446744073709551615");
  EXPECT_EQ(GoJsonCompact(int64_t{412361808537191540}), "412361808537191540");
}

TEST(GoJsonTest, FloatsAsGoPrintsThem) {
  EXPECT_EQ(GoJsonCompact(0.0), "0");
  EXPECT_EQ(GoJsonCompact(-0.0), "-0");
  EXPECT_EQ(GoJsonCompact(1.5), "1.5");
  EXPECT_EQ(GoJsonCompact(100.0), "100");
  EXPECT_EQ(GoJsonCompact(0.1), "0.1");
  EXPECT_EQ(GoJsonCompact(1e20), "100000000000000000000");
  EXPECT_EQ(GoJsonCompact(1e21), "1e+21");
  EXPECT_EQ(GoJsonCompact(0.000001), "0.000001");
  EXPECT_EQ(GoJsonCompact(0.0000001), "1e-7");
  EXPECT_EQ(GoJsonCompact(-1.5e-10), "-1.5e-10");
  EXPECT_EQ(GoJsonCompact(1.7976931348623157e308), "1.7976931348623157e+308");
}

TEST(GoJsonTest, StringEscapes) {
  EXPECT_EQ(Str("plain 'quote'"), R"("plain 'quote'")");
  EXPECT_EQ(Str("a\"b\\c\nd\re\tf"), R"("a\"b\\c\nd\re\tf")");
  EXPECT_EQ(Str(std::string("\x00\x01\x08\x0c\x1f\x7f", 6)),
            "\"\\u0000\\u0001\\u0008\\u000c\\u001f\x7f\"");
  EXPECT_EQ(Str("<a href=\"x\">&</a>"), R"("\u003ca href=\"x\"\u003e\u0026\u003c/a\u003e")");
  EXPECT_EQ(Str("\xe2\x80\xa8\xe2\x80\xa9"), R"("\u2028\u2029")");
  EXPECT_EQ(Str("é€😀"), "\"é€😀\"");
}

TEST(GoJsonTest, InvalidUtf8BecomesReplacementPerByte) {
  EXPECT_EQ(Str("a\xff" "b"), R"("a\ufffdb")");
  EXPECT_EQ(Str("\xe2\x82"), R"("\ufffd\ufffd")");           // truncated
  EXPECT_EQ(Str("\xc0\x80"), R"("\ufffd\ufffd")");           // overlong
  EXPECT_EQ(Str("\xed\xa0\x80"), R"("\ufffd\ufffd\ufffd")");  // surrogate
  EXPECT_EQ(Str("\xf4\x90\x80\x80"), R"("\ufffd\ufffd\ufffd\ufffd")");  // > U+10FFFF
  EXPECT_EQ(Str("\xef\xbf\xbd"), "\"\xef\xbf\xbd\"");        // a real U+FFFD stays
}

TEST(GoJsonTest, ObjectsKeepInsertionOrder) {
  boost::json::object o;
  o["b"] = 1;
  o["a"] = nullptr;
  o["c<"] = boost::json::array{1, "x"};
  EXPECT_EQ(GoJsonCompact(o), R"({"b":1,"a":null,"c\u003c":[1,"x"]})");
}

TEST(GoJsonTest, SortedKeyObjectSortsBytewise) {
  std::map<std::string, int64_t> m{{"b", 2}, {"a", 1}, {"B", 3}, {"\xc3\xa9", 4}, {"a1", 5}};
  EXPECT_EQ(GoJsonCompact(SortedKeyObject(m)), "{\"B\":3,\"a\":1,\"a1\":5,\"b\":2,\"\xc3\xa9\":4}");
  EXPECT_EQ(GoJsonCompact(SortedKeyObject(std::map<std::string, std::string>{})), "{}");
}

TEST(GoJsonTest, IndentLikeMarshalIndent) {
  boost::json::object inner;
  inner["ts"] = 5;
  boost::json::object o;
  o["message"] = "m";
  o["empty_object"] = boost::json::object();
  o["empty_array"] = boost::json::array();
  o["list"] = boost::json::array{1, boost::json::object{{"k", true}}};
  o["data"] = inner;
  EXPECT_EQ(GoJsonIndent(o),
            "{\n"
            "  \"message\": \"m\",\n"
            "  \"empty_object\": {},\n"
            "  \"empty_array\": [],\n"
            "  \"list\": [\n"
            "    1,\n"
            "    {\n"
            "      \"k\": true\n"
            "    }\n"
            "  ],\n"
            "  \"data\": {\n"
            "    \"ts\": 5\n"
            "  }\n"
            "}");
  EXPECT_EQ(GoJsonIndent(boost::json::object()), "{}");
  EXPECT_EQ(GoJsonIndent(boost::json::array()), "[]");
  EXPECT_EQ(GoJsonIndent(nullptr), "null");
}

TEST(GoJsonTest, ResponseStylesAddOneNewline) {
  EXPECT_EQ(EncoderJsonBody(nullptr), "null\n");
  EXPECT_EQ(EncoderJsonBody(boost::json::array{1, 2}), "[1,2]\n");
  EXPECT_EQ(RenderJsonBody(boost::json::array{1, 2}), "[\n  1,\n  2\n]\n");
}

TEST(GoJsonTest, PrintsParsedValuesInDocumentOrder) {
  const boost::json::value v =
      boost::json::parse(R"({"z": 1, "a": [true, null, "s"], "m": {"y": -2, "x": 1.25}})");
  EXPECT_EQ(GoJsonCompact(v), R"({"z":1,"a":[true,null,"s"],"m":{"y":-2,"x":1.25}})");
}

}  // namespace
}  // namespace tidb_binlog
