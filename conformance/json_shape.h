// JSON body shapes for the conformance suite: a small description language (the "shapes" of
// conformance/spec/api.json) and a validator that reports every way a parsed body differs.
//
// Why not JSON Schema: the checks upstream needs are not JSON Schema's — key order of Go
// structs, byte-sorted Go map keys, a map key that must equal a field of its value, `null`
// versus an empty array, and TSO plausibility on exact int64 values. A JSON Schema validator
// would need extensions for each, and the one in Debian (valijson) works on doubles in
// places. Values are Boost.JSON's, which keeps integers as int64/uint64 exactly.
//
// Vocabulary (each shape is a JSON object with "type"):
//   string  [enum] [non_empty] [format: "host-port"]   bool   int64 [enum]   null
//   tso [zero_ok]            an int64 TSO: >= 0, and unless 0 (when zero_ok) its physical
//                            milliseconds lie in [2015-01-01, now + skew]
//   object  keys: [{name, shape, required=true}] [ordered] [open]
//   map     values [sorted_keys] [key_is: <field of the value that must equal the key>]
//   array   items [min_items]   (min_items 1: upstream prints an empty Go slice as null)
//   one_of  of: [shapes]        the first branch whose JSON kind matches is validated
//   {"ref": "<name>"}           a named shape
// Any shape may carry "upstream_value": the only value upstream ever sends there
// (isAlive false, score 0, label null, Checkpoint {}, TsMap "").
//
// Issues come in classes so that profiles can weigh them: kShape (missing key, wrong type,
// null vs empty), kValue (enum, format, upstream_value, key_is), kTso, kOrder (struct key
// order, map key sort) and kExtra (keys the spec does not know; upstream adds fields over
// time, so only the upstream-exact profile fails on them).
//
// Thread safety: shapes are immutable after ParseShapes(); Validate() is a pure function.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "reference/core/status.h"

namespace tidb_binlog::conformance {

enum class ShapeType { kString, kBool, kInt64, kTso, kNull, kObject, kMap, kArray, kOneOf };

struct Shape;
using ShapePtr = std::shared_ptr<const Shape>;

struct ShapeKey {
  std::string name;
  bool required = true;
  ShapePtr shape;
};

struct Shape {
  ShapeType type = ShapeType::kNull;
  std::vector<std::string> string_enum;
  std::vector<int64_t> int_enum;
  bool non_empty = false;
  std::string format;  // "" or "host-port"
  bool zero_ok = false;
  std::vector<ShapeKey> keys;  // object
  bool ordered = false;        // object: keys in the listed order
  bool open = false;           // object: any extra key is fine (util.Response data)
  bool sorted_keys = false;    // map: byte-wise ascending keys, as Go prints a map
  std::string key_is;          // map: the value's field that must equal the key
  size_t min_items = 0;        // array
  ShapePtr element;            // map values, array items
  std::vector<ShapePtr> one_of;
  std::optional<boost::json::value> upstream_value;
};

// Named shapes, resolved (refs point at the same objects).
using ShapeTable = std::map<std::string, ShapePtr, std::less<>>;

// Parses the "shapes" object of api.json. kInvalidArgument naming the shape and the problem
// (unknown type, unknown ref, cycle).
Result<ShapeTable> ParseShapes(const boost::json::object& shapes);

// Parses one shape (a "shape" member of an endpoint) against already-parsed named shapes.
Result<ShapePtr> ParseShape(const boost::json::value& json, const ShapeTable& named);

enum class IssueClass { kShape, kValue, kTso, kOrder, kExtra };
const char* IssueClassName(IssueClass issue_class);

struct ShapeIssue {
  IssueClass issue_class = IssueClass::kShape;
  std::string pointer;  // JSON pointer of the offending value ("" is the root)
  std::string expected;
  std::string actual;
};

// The TSO plausibility window.
struct TsoRule {
  int64_t now_ms = 0;  // the checker's wall clock
  int64_t skew_ms = 0; // how far ahead of now_ms a TSO's physical time may be
};

// Every difference between `value` and `shape`.
std::vector<ShapeIssue> Validate(const Shape& shape, const boost::json::value& value,
                                 const TsoRule& tso_rule);

// Whether `ts` passes the TSO rule; on failure `why` says how.
bool IsPlausibleTso(int64_t ts, bool zero_ok, const TsoRule& rule, std::string* why);

// Compact text of a JSON value for reports (integers exact).
std::string JsonText(const boost::json::value& value);

}  // namespace tidb_binlog::conformance
