#include "peergrid/common/text.h"

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "peergrid/common/limits.h"

namespace peergrid {
namespace {

// Decodes the UTF-8 character at the front of `s`: its code point and length,
// or length 0 when the bytes there are not valid UTF-8 (overlong forms,
// surrogates and values above U+10FFFF included).
struct Decoded {
  uint32_t code_point = 0;
  size_t length = 0;
};

Decoded DecodeUtf8(absl::string_view s) {
  const auto b0 = static_cast<unsigned char>(s[0]);
  if (b0 < 0x80) return {b0, 1};
  size_t n = 0;
  uint32_t cp = 0;
  uint32_t min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    n = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    n = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    n = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return {};
  }
  if (s.size() < n) return {};
  for (size_t i = 1; i < n; ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if ((b & 0xC0) != 0x80) return {};
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return {};
  return {cp, n};
}

bool IsControl(uint32_t cp) {
  return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029;
}

// Returns the length of the longest prefix of `s` of at most `max` bytes that
// does not end inside a UTF-8 character.
size_t Utf8Prefix(absl::string_view s, size_t max) {
  if (s.size() <= max) return s.size();
  size_t cut = max;
  for (int back = 0; back < 3 && cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80;
       ++back) {
    --cut;
  }
  return cut;
}

}  // namespace

std::string QuoteInput(absl::string_view value) {
  const size_t kept = Utf8Prefix(value, limits::kMaxQuotedInputBytes);
  absl::string_view rest = value.substr(0, kept);
  std::string out = "\"";
  while (!rest.empty()) {
    const Decoded d = DecodeUtf8(rest);
    if (d.length == 0) {
      absl::StrAppendFormat(&out, "\\x%02x", static_cast<unsigned char>(rest[0]));
      rest.remove_prefix(1);
      continue;
    }
    const char c = rest[0];
    if (d.length == 1 && (c == '"' || c == '\\')) {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (IsControl(d.code_point)) {
      absl::StrAppendFormat(&out, "\\u%04x", d.code_point);
    } else {
      out.append(rest.data(), d.length);
    }
    rest.remove_prefix(d.length);
  }
  out.push_back('"');
  if (kept < value.size()) absl::StrAppend(&out, "…(", value.size(), " bytes)");
  return out;
}

std::string CapMessage(absl::string_view message) {
  if (message.size() <= static_cast<size_t>(limits::kMaxErrorMessageBytes)) {
    return std::string(message);
  }
  const size_t kept = Utf8Prefix(message, limits::kMaxErrorMessageBytes - 3);
  return absl::StrCat(message.substr(0, kept), "…");
}

absl::Status ValidateDisplayName(absl::string_view field, absl::string_view value) {
  int64_t chars = 0;
  for (absl::string_view rest = value; !rest.empty(); ++chars) {
    const Decoded d = DecodeUtf8(rest);
    if (d.length == 0) {
      return absl::InvalidArgumentError(absl::StrCat(field, " ", QuoteInput(value),
                                                     " is not valid UTF-8 (at byte ",
                                                     value.size() - rest.size(), ")"));
    }
    if (IsControl(d.code_point)) {
      return absl::InvalidArgumentError(absl::StrCat(field, " ", QuoteInput(value),
                                                     " has a control character (at byte ",
                                                     value.size() - rest.size(), ")"));
    }
    if (chars == limits::kMaxDisplayNameChars) {
      return absl::InvalidArgumentError(absl::StrCat(field, " ", QuoteInput(value),
                                                     " is longer than ",
                                                     limits::kMaxDisplayNameChars, " characters"));
    }
    rest.remove_prefix(d.length);
  }
  return absl::OkStatus();
}

}  // namespace peergrid
