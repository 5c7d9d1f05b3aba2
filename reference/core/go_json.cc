#include "reference/core/go_json.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <system_error>

#include "reference/core/assert.h"
#include "reference/core/utf8.h"

namespace tidb_binlog {
namespace {

constexpr char kLowerHex[] = "0123456789abcdef";
constexpr std::string_view kIndentUnit = "  ";  // MarshalIndent(v, "", "  ")
// Go switches to exponent form outside [1e-6, 1e21) (encoding/json floatEncoder).
constexpr double kFloatFixedMin = 1e-6;
constexpr double kFloatFixedLimit = 1e21;
// Longest shortest-round-trip double: sign, 17 digits, point, exponent, or 21 integer digits.
constexpr size_t kFloatCharsMax = 40;

void AppendUnicodeEscape(unsigned code, std::string* out) {
  out->append("\\u");
  for (int shift = 12; shift >= 0; shift -= 4) out->push_back(kLowerHex[(code >> shift) & 0xf]);
}

void AppendAsciiByte(unsigned char c, std::string* out) {
  switch (c) {
    case '"': out->append("\\\""); return;
    case '\\': out->append("\\\\"); return;
    case '\n': out->append("\\n"); return;
    case '\r': out->append("\\r"); return;
    case '\t': out->append("\\t"); return;
    case '<':
    case '>':
    case '&':
      AppendUnicodeEscape(c, out);  // HTML-safe escaping is on in both response styles
      return;
    default:
      if (c < 0x20) {
        AppendUnicodeEscape(c, out);
      } else {
        out->push_back(static_cast<char>(c));
      }
  }
}

void AppendDouble(double d, std::string* out) {
  BINLOG_ASSERT(std::isfinite(d));
  const double abs = std::fabs(d);
  const bool exponent = abs != 0 && (abs < kFloatFixedMin || abs >= kFloatFixedLimit);
  char buf[kFloatCharsMax];
  const auto [end, ec] = std::to_chars(
      buf, buf + sizeof(buf), d,
      exponent ? std::chars_format::scientific : std::chars_format::fixed);
  BINLOG_ASSERT(ec == std::errc());
  std::string text(buf, end);
  // Go writes "1e-7" where C++ (and Go's strconv) write "1e-07".
  const size_t n = text.size();
  if (exponent && n >= 4 && text[n - 4] == 'e' && text[n - 3] == '-' && text[n - 2] == '0') {
    text.erase(n - 2, 1);
  }
  out->append(text);
}

class GoJsonWriter {
 public:
  GoJsonWriter(bool indent, std::string* out) : indent_(indent), out_(out) {}

  void Write(const boost::json::value& v, int depth) {
    switch (v.kind()) {
      case boost::json::kind::null: out_->append("null"); return;
      case boost::json::kind::bool_: out_->append(v.get_bool() ? "true" : "false"); return;
      case boost::json::kind::int64: out_->append(std::to_string(v.get_int64())); return;
      case boost::json::kind::uint64: out_->append(std::to_string(v.get_uint64())); return;
      case boost::json::kind::double_: AppendDouble(v.get_double(), out_); return;
      case boost::json::kind::string: AppendGoJsonString(v.get_string(), out_); return;
      case boost::json::kind::array: WriteArray(v.get_array(), depth); return;
      case boost::json::kind::object: WriteObject(v.get_object(), depth); return;
    }
  }

 private:
  void NewLine(int depth) {
    if (!indent_) return;
    out_->push_back('\n');
    for (int i = 0; i < depth; ++i) out_->append(kIndentUnit);
  }

  void WriteArray(const boost::json::array& array, int depth) {
    out_->push_back('[');
    for (size_t i = 0; i < array.size(); ++i) {
      if (i > 0) out_->push_back(',');
      NewLine(depth + 1);
      Write(array[i], depth + 1);
    }
    if (!array.empty()) NewLine(depth);
    out_->push_back(']');
  }

  void WriteObject(const boost::json::object& object, int depth) {
    out_->push_back('{');
    bool first = true;
    for (const auto& member : object) {
      if (!first) out_->push_back(',');
      first = false;
      NewLine(depth + 1);
      AppendGoJsonString(member.key(), out_);
      out_->append(indent_ ? ": " : ":");
      Write(member.value(), depth + 1);
    }
    if (!object.empty()) NewLine(depth);
    out_->push_back('}');
  }

  bool indent_;
  std::string* out_;
};

}  // namespace

void AppendGoJsonString(std::string_view s, std::string* out) {
  out->push_back('"');
  while (!s.empty()) {
    const unsigned char c = static_cast<unsigned char>(s[0]);
    if (c < 0x80) {
      AppendAsciiByte(c, out);
      s.remove_prefix(1);
      continue;
    }
    size_t size = 1;
    if (DecodeUtf8Rune(s, &size) == kInvalidRune) {
      out->append("\\ufffd");  // one replacement per invalid byte, as Go
      s.remove_prefix(1);
      continue;
    }
    const std::string_view rune = s.substr(0, size);
    if (rune == "\xe2\x80\xa8") {
      out->append("\\u2028");
    } else if (rune == "\xe2\x80\xa9") {
      out->append("\\u2029");
    } else {
      out->append(rune);
    }
    s.remove_prefix(size);
  }
  out->push_back('"');
}

std::string GoJsonCompact(const boost::json::value& v) {
  std::string out;
  GoJsonWriter(false, &out).Write(v, 0);
  return out;
}

std::string GoJsonIndent(const boost::json::value& v) {
  std::string out;
  GoJsonWriter(true, &out).Write(v, 0);
  return out;
}

std::string EncoderJsonBody(const boost::json::value& v) { return GoJsonCompact(v) + "\n"; }

std::string RenderJsonBody(const boost::json::value& v) { return GoJsonIndent(v) + "\n"; }

}  // namespace tidb_binlog
