// Go encoding/json-compatible printing of JSON values (UPSTREAM.md §1.3), so that response
// bodies and registry values equal upstream's byte for byte.
//
// Values are built (and parsed) with Boost.JSON; only the printer is hand-written, because
// Boost.JSON's serializer cannot produce Go's output: Go escapes `<` `>` `&` U+2028 U+2029 as
// \u003c \u003e \u0026 \u2028 \u2029, replaces invalid UTF-8 with \ufffd, writes other
// control bytes as lower-case \u00XX, prints floats in its own shortest form, and indents
// as json.MarshalIndent does.
//
// Objects print their members in the boost::json::object's insertion order: callers insert
// in Go struct field order, or use SortedKeyObject() for what is a Go map upstream (Go sorts
// map keys byte-wise). A JSON null stands for a Go nil map, slice or pointer.
//
// Contract: doubles must be finite (Go's json.Marshal fails on NaN and Inf; none of our
// values can be), asserted. Thread safety: pure functions.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>

namespace tidb_binlog {

// json.Marshal(v).
std::string GoJsonCompact(const boost::json::value& v);

// json.MarshalIndent(v, "", "  "): members one per line, two spaces per level, `": "`
// between key and value, empty objects and arrays as `{}` and `[]`.
std::string GoJsonIndent(const boost::json::value& v);

// json.NewEncoder(w).Encode(v): compact plus "\n" (pump /status, /drainers, drainer /status).
std::string EncoderJsonBody(const boost::json::value& v);

// unrolled/render with IndentJSON: indented plus "\n" (/state, /commit_ts).
std::string RenderJsonBody(const boost::json::value& v);

// Appends `s` as a Go JSON string literal, quotes included.
void AppendGoJsonString(std::string_view s, std::string* out);

// An object whose members are `map`'s entries in byte-wise ascending key order, as Go
// prints a map[string]V. V is anything boost::json::value_from accepts.
template <typename V>
boost::json::object SortedKeyObject(const std::map<std::string, V>& map) {
  boost::json::object object;
  object.reserve(map.size());
  // std::map<std::string, ...> orders keys by char_traits<char>::compare, which compares as
  // unsigned bytes: exactly Go's sort of map keys.
  for (const auto& [key, value] : map) object.emplace(key, boost::json::value_from(value));
  return object;
}

}  // namespace tidb_binlog
