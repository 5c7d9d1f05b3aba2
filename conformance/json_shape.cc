#include "conformance/json_shape.h"

#include <algorithm>
#include <set>
#include <string_view>

#include <boost/json/serialize.hpp>
#include <boost/json/value_to.hpp>

namespace tidb_binlog::conformance {
namespace {

namespace json = boost::json;

// 2015-01-01T00:00:00Z in Unix milliseconds: TiDB did not exist before, so a TSO whose
// physical part is older is garbage (or a double that lost its low bits).
constexpr int64_t kTsoPhysicalFloorMilliseconds = 1'420'070'400'000;
constexpr int kTsoLogicalBits = 18;
// Nesting allowed in api.json shapes; ours need 4. Guards against a ref cycle.
constexpr int kShapeDepthMax = 16;

Result<ShapePtr> ParseShapeAt(const json::value& json, const ShapeTable& named,
                              const json::object* all, std::map<std::string, ShapePtr>* done,
                              int depth);

const char* KindName(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "bool";
    case json::kind::int64: return "int64";
    case json::kind::uint64: return "uint64 (beyond int64)";
    case json::kind::double_: return "number with a fraction or exponent";
    case json::kind::string: return "string";
    case json::kind::array: return "array";
    case json::kind::object: return "object";
  }
  return "?";
}

Result<ShapeType> ParseType(std::string_view name) {
  static const std::map<std::string_view, ShapeType> kTypes = {
      {"string", ShapeType::kString}, {"bool", ShapeType::kBool},
      {"int64", ShapeType::kInt64},   {"tso", ShapeType::kTso},
      {"null", ShapeType::kNull},     {"object", ShapeType::kObject},
      {"map", ShapeType::kMap},       {"array", ShapeType::kArray},
      {"one_of", ShapeType::kOneOf}};
  auto it = kTypes.find(name);
  if (it == kTypes.end()) return Status::InvalidArgument("unknown shape type " + std::string(name));
  return it->second;
}

Status ParseObjectKeys(const json::object& o, const ShapeTable& named, const json::object* all,
                       std::map<std::string, ShapePtr>* done, int depth, Shape* shape) {
  const json::value* keys = o.if_contains("keys");
  if (keys == nullptr || !keys->is_array()) return Status::InvalidArgument("object without keys");
  for (const json::value& k : keys->as_array()) {
    ShapeKey key;
    key.name = json::value_to<std::string>(k.at("name"));
    if (const json::value* r = k.as_object().if_contains("required")) key.required = r->as_bool();
    Result<ShapePtr> sub = ParseShapeAt(k.at("shape"), named, all, done, depth + 1);
    if (!sub.ok()) return sub.status().Annotate("key " + key.name);
    key.shape = *sub;
    shape->keys.push_back(std::move(key));
  }
  return Status::Ok();
}

Status ParseNested(const json::object& o, const ShapeTable& named, const json::object* all,
                   std::map<std::string, ShapePtr>* done, int depth, Shape* shape) {
  if (shape->type == ShapeType::kObject) return ParseObjectKeys(o, named, all, done, depth, shape);
  if (shape->type == ShapeType::kMap || shape->type == ShapeType::kArray) {
    const char* member = shape->type == ShapeType::kMap ? "values" : "items";
    const json::value* sub_json = o.if_contains(member);
    if (sub_json == nullptr) return Status::InvalidArgument(std::string("missing ") + member);
    Result<ShapePtr> sub = ParseShapeAt(*sub_json, named, all, done, depth + 1);
    if (!sub.ok()) return sub.status();
    shape->element = *sub;
  }
  if (shape->type == ShapeType::kOneOf) {
    for (const json::value& branch : o.at("of").as_array()) {
      Result<ShapePtr> sub = ParseShapeAt(branch, named, all, done, depth + 1);
      if (!sub.ok()) return sub.status();
      shape->one_of.push_back(*sub);
    }
  }
  return Status::Ok();
}

void ParseFlags(const json::object& o, Shape* shape) {
  auto flag = [&](const char* name) {
    const json::value* v = o.if_contains(name);
    return v != nullptr && v->is_bool() && v->as_bool();
  };
  shape->non_empty = flag("non_empty");
  shape->zero_ok = flag("zero_ok");
  shape->ordered = flag("ordered");
  shape->open = flag("open");
  shape->sorted_keys = flag("sorted_keys");
  if (const json::value* v = o.if_contains("format")) shape->format = json::value_to<std::string>(*v);
  if (const json::value* v = o.if_contains("key_is")) shape->key_is = json::value_to<std::string>(*v);
  if (const json::value* v = o.if_contains("min_items")) shape->min_items = v->to_number<size_t>();
  if (const json::value* v = o.if_contains("upstream_value")) shape->upstream_value = *v;
  if (const json::value* v = o.if_contains("enum")) {
    for (const json::value& e : v->as_array()) {
      if (e.is_string()) shape->string_enum.emplace_back(e.as_string());
      if (e.is_int64()) shape->int_enum.push_back(e.as_int64());
    }
  }
}

Result<ShapePtr> ParseRef(std::string_view name, const ShapeTable& named, const json::object* all,
                          std::map<std::string, ShapePtr>* done, int depth) {
  if (auto it = named.find(name); it != named.end()) return it->second;
  if (auto it = done->find(std::string(name)); it != done->end()) return it->second;
  if (all == nullptr || !all->contains(name)) {
    return Status::InvalidArgument("unknown shape ref " + std::string(name));
  }
  Result<ShapePtr> shape = ParseShapeAt(all->at(name), named, all, done, depth + 1);
  if (!shape.ok()) return shape.status().Annotate("shape " + std::string(name));
  (*done)[std::string(name)] = *shape;
  return shape;
}

Result<ShapePtr> ParseShapeAt(const json::value& json, const ShapeTable& named,
                              const json::object* all, std::map<std::string, ShapePtr>* done,
                              int depth) {
  if (depth > kShapeDepthMax) return Status::InvalidArgument("shapes nest too deep (a ref cycle?)");
  if (!json.is_object()) return Status::InvalidArgument("a shape must be an object");
  const json::object& o = json.as_object();
  try {
    if (const json::value* ref = o.if_contains("ref")) {
      return ParseRef(ref->as_string(), named, all, done, depth);
    }
    auto shape = std::make_shared<Shape>();
    Result<ShapeType> type = ParseType(o.at("type").as_string());
    if (!type.ok()) return type.status();
    shape->type = *type;
    ParseFlags(o, shape.get());
    Status nested = ParseNested(o, named, all, done, depth, shape.get());
    if (!nested.ok()) return nested;
    return ShapePtr(shape);
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("malformed shape: ") + e.what());
  }
}

// ---- validation ----

class Validator {
 public:
  Validator(const TsoRule& rule, std::vector<ShapeIssue>* issues) : rule_(rule), issues_(issues) {}

  void Check(const Shape& shape, const json::value& v, const std::string& ptr) {
    switch (shape.type) {
      case ShapeType::kString: CheckString(shape, v, ptr); break;
      case ShapeType::kBool: Expect(v.is_bool(), shape, v, ptr, "bool"); break;
      case ShapeType::kInt64: CheckInt(shape, v, ptr); break;
      case ShapeType::kTso: CheckTso(shape, v, ptr); break;
      case ShapeType::kNull: Expect(v.is_null(), shape, v, ptr, "null"); break;
      case ShapeType::kObject: CheckObject(shape, v, ptr); break;
      case ShapeType::kMap: CheckMap(shape, v, ptr); break;
      case ShapeType::kArray: CheckArray(shape, v, ptr); break;
      case ShapeType::kOneOf: CheckOneOf(shape, v, ptr); return;
    }
    if (shape.upstream_value && MatchesKind(shape, v) && v != *shape.upstream_value) {
      Add(IssueClass::kValue, ptr, "always " + JsonText(*shape.upstream_value) + " upstream",
          JsonText(v));
    }
  }

 private:
  void Add(IssueClass c, const std::string& ptr, std::string expected, std::string actual) {
    issues_->push_back({c, ptr, std::move(expected), std::move(actual)});
  }
  static bool MatchesKind(const Shape& shape, const json::value& v) {
    switch (shape.type) {
      case ShapeType::kString: return v.is_string();
      case ShapeType::kBool: return v.is_bool();
      case ShapeType::kInt64:
      case ShapeType::kTso: return v.is_int64();
      case ShapeType::kNull: return v.is_null();
      case ShapeType::kObject:
      case ShapeType::kMap: return v.is_object();
      case ShapeType::kArray: return v.is_array();
      case ShapeType::kOneOf:
        return std::any_of(shape.one_of.begin(), shape.one_of.end(),
                           [&](const ShapePtr& s) { return MatchesKind(*s, v); });
    }
    return false;
  }
  bool Expect(bool ok, const Shape&, const json::value& v, const std::string& ptr,
              const char* expected) {
    if (!ok) Add(IssueClass::kShape, ptr, expected, std::string(KindName(v)) + " " + JsonText(v));
    return ok;
  }
  void CheckString(const Shape& s, const json::value& v, const std::string& ptr) {
    if (!Expect(v.is_string(), s, v, ptr, "string")) return;
    const std::string text(v.as_string());
    if (!s.string_enum.empty() &&
        std::find(s.string_enum.begin(), s.string_enum.end(), text) == s.string_enum.end()) {
      std::string all;
      for (const std::string& e : s.string_enum) all += (all.empty() ? "" : "|") + e;
      Add(IssueClass::kValue, ptr, "one of " + all, JsonText(v));
    }
    if (s.non_empty && text.empty()) Add(IssueClass::kValue, ptr, "a non-empty string", "\"\"");
    if (s.format == "host-port" && !IsHostPort(text)) {
      Add(IssueClass::kValue, ptr, "host:port", JsonText(v));
    }
  }
  static bool IsHostPort(const std::string& text) {
    size_t colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) return false;
    return std::all_of(text.begin() + colon + 1, text.end(),
                       [](char c) { return c >= '0' && c <= '9'; });
  }
  void CheckInt(const Shape& s, const json::value& v, const std::string& ptr) {
    if (!Expect(v.is_int64(), s, v, ptr, "int64")) return;
    if (!s.int_enum.empty() &&
        std::find(s.int_enum.begin(), s.int_enum.end(), v.as_int64()) == s.int_enum.end()) {
      std::string all;
      for (int64_t e : s.int_enum) all += (all.empty() ? "" : "|") + std::to_string(e);
      Add(IssueClass::kValue, ptr, "one of " + all, JsonText(v));
    }
  }
  void CheckTso(const Shape& s, const json::value& v, const std::string& ptr) {
    if (!Expect(v.is_int64(), s, v, ptr, "int64 TSO")) return;
    std::string why;
    if (!IsPlausibleTso(v.as_int64(), s.zero_ok, rule_, &why)) {
      Add(IssueClass::kTso, ptr, "a plausible TSO", JsonText(v) + " (" + why + ")");
    }
  }
  void CheckObject(const Shape& s, const json::value& v, const std::string& ptr) {
    if (!Expect(v.is_object(), s, v, ptr, "object")) return;
    const json::object& o = v.as_object();
    std::vector<std::string> present_order;
    for (const ShapeKey& key : s.keys) {
      const json::value* member = o.if_contains(key.name);
      if (member == nullptr) {
        if (key.required) Add(IssueClass::kShape, ptr + "/" + key.name, "key present", "missing key " + ptr + "/" + key.name);
        continue;
      }
      present_order.push_back(key.name);
      Check(*key.shape, *member, ptr + "/" + key.name);
    }
    std::vector<std::string> actual_order;
    for (const auto& member : o) {
      const bool known = std::any_of(s.keys.begin(), s.keys.end(),
                                     [&](const ShapeKey& k) { return k.name == member.key(); });
      if (known) {
        actual_order.emplace_back(member.key());
      } else if (!s.open) {
        Add(IssueClass::kExtra, ptr + "/" + std::string(member.key()), "no such key",
            "unknown key " + std::string(member.key()));
      }
    }
    if (s.ordered && actual_order != present_order) {
      Add(IssueClass::kOrder, ptr, "keys in order " + Join(present_order),
          "keys in order " + Join(actual_order));
    }
  }
  static std::string Join(const std::vector<std::string>& names) {
    std::string out;
    for (const std::string& n : names) out += (out.empty() ? "" : ",") + n;
    return out;
  }
  void CheckMap(const Shape& s, const json::value& v, const std::string& ptr) {
    if (!Expect(v.is_object(), s, v, ptr, "object (a map)")) return;
    std::vector<std::string> keys;
    for (const auto& member : v.as_object()) {
      const std::string key(member.key());
      keys.push_back(key);
      Check(*s.element, member.value(), ptr + "/" + key);
      if (s.key_is.empty() || !member.value().is_object()) continue;
      const json::value* field = member.value().as_object().if_contains(s.key_is);
      if (field != nullptr && (!field->is_string() || field->as_string() != key)) {
        Add(IssueClass::kValue, ptr + "/" + key + "/" + s.key_is, "the map key " + key,
            JsonText(*field));
      }
    }
    if (s.sorted_keys && !std::is_sorted(keys.begin(), keys.end())) {
      Add(IssueClass::kOrder, ptr, "map keys sorted byte-wise (Go prints maps so)", Join(keys));
    }
  }
  void CheckArray(const Shape& s, const json::value& v, const std::string& ptr) {
    if (!Expect(v.is_array(), s, v, ptr, "array")) return;
    const json::array& a = v.as_array();
    if (a.size() < s.min_items) {
      Add(IssueClass::kShape, ptr,
          "null (upstream prints an empty Go slice as null, never [])", JsonText(v));
    }
    for (size_t i = 0; i < a.size(); ++i) Check(*s.element, a[i], ptr + "/" + std::to_string(i));
  }
  void CheckOneOf(const Shape& s, const json::value& v, const std::string& ptr) {
    for (const ShapePtr& branch : s.one_of) {
      if (MatchesKind(*branch, v)) {
        Check(*branch, v, ptr);
        if (s.upstream_value && v != *s.upstream_value) {
          Add(IssueClass::kValue, ptr, "always " + JsonText(*s.upstream_value) + " upstream",
              JsonText(v));
        }
        return;
      }
    }
    std::string kinds;
    for (const ShapePtr& branch : s.one_of) {
      kinds += (kinds.empty() ? "" : " or ") + std::string(branch->type == ShapeType::kNull ? "null" : ShapeTypeName(*branch));
    }
    Add(IssueClass::kShape, ptr, kinds, std::string(KindName(v)) + " " + JsonText(v));
  }
  static const char* ShapeTypeName(const Shape& s) {
    switch (s.type) {
      case ShapeType::kString: return "string";
      case ShapeType::kBool: return "bool";
      case ShapeType::kInt64: return "int64";
      case ShapeType::kTso: return "int64 TSO";
      case ShapeType::kNull: return "null";
      case ShapeType::kObject: return "object";
      case ShapeType::kMap: return "object (a map)";
      case ShapeType::kArray: return "array";
      case ShapeType::kOneOf: return "one of several";
    }
    return "?";
  }

  const TsoRule& rule_;
  std::vector<ShapeIssue>* issues_;
};

}  // namespace

Result<ShapeTable> ParseShapes(const json::object& shapes) {
  std::map<std::string, ShapePtr> done;
  ShapeTable empty;
  for (const auto& member : shapes) {
    if (done.count(std::string(member.key()))) continue;
    Result<ShapePtr> shape = ParseShapeAt(member.value(), empty, &shapes, &done, 0);
    if (!shape.ok()) return shape.status().Annotate("shape " + std::string(member.key()));
    done[std::string(member.key())] = *shape;
  }
  return ShapeTable(done.begin(), done.end());
}

Result<ShapePtr> ParseShape(const json::value& json, const ShapeTable& named) {
  std::map<std::string, ShapePtr> done;
  return ParseShapeAt(json, named, nullptr, &done, 0);
}

const char* IssueClassName(IssueClass issue_class) {
  switch (issue_class) {
    case IssueClass::kShape: return "shape";
    case IssueClass::kValue: return "values";
    case IssueClass::kTso: return "tso";
    case IssueClass::kOrder: return "key-order";
    case IssueClass::kExtra: return "extra-keys";
  }
  return "?";
}

std::vector<ShapeIssue> Validate(const Shape& shape, const json::value& value,
                                 const TsoRule& tso_rule) {
  std::vector<ShapeIssue> issues;
  Validator(tso_rule, &issues).Check(shape, value, "");
  return issues;
}

bool IsPlausibleTso(int64_t ts, bool zero_ok, const TsoRule& rule, std::string* why) {
  if (ts == 0) {
    if (!zero_ok) *why = "0 is not a timestamp here";
    return zero_ok;
  }
  if (ts < 0) {
    *why = "negative";
    return false;
  }
  const int64_t physical_ms = ts >> kTsoLogicalBits;
  if (physical_ms < kTsoPhysicalFloorMilliseconds) {
    *why = "physical time " + std::to_string(physical_ms) + " ms is before 2015";
    return false;
  }
  if (physical_ms > rule.now_ms + rule.skew_ms) {
    *why = "physical time " + std::to_string(physical_ms) + " ms is more than " +
           std::to_string(rule.skew_ms) + " ms ahead of now (" + std::to_string(rule.now_ms) + ")";
    return false;
  }
  return true;
}

std::string JsonText(const json::value& value) { return json::serialize(value); }

}  // namespace tidb_binlog::conformance
