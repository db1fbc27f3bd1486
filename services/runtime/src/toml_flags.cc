#include "peergrid/runtime/toml_flags.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/flags/reflection.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "peergrid/common/status.h"
// toml++ header-only, without exceptions: parse errors come back as values.
#define TOML_HEADER_ONLY 1
#define TOML_EXCEPTIONS 0
#include "toml++/toml.h"

namespace peergrid::runtime {
namespace {

std::set<std::string> ExplicitFlags(const std::vector<std::string>& argv) {
  std::set<std::string> out;
  for (const std::string& arg : argv) {
    if (!absl::StartsWith(arg, "--")) continue;
    std::string name = std::string(absl::StripPrefix(arg, "--"));
    name = name.substr(0, name.find('='));
    out.insert(name);
    if (absl::StartsWith(name, "no")) out.insert(name.substr(2));
  }
  return out;
}

absl::StatusOr<std::string> ValueText(const toml::node& node) {
  if (const auto* s = node.as_string()) return std::string(s->get());
  if (const auto* i = node.as_integer()) return absl::StrCat(i->get());
  if (const auto* f = node.as_floating_point()) return absl::StrCat(f->get());
  if (const auto* b = node.as_boolean()) return std::string(b->get() ? "true" : "false");
  return absl::InvalidArgumentError("value must be a string, number or boolean");
}

absl::Status ApplyTable(const std::string& path, const toml::table& table,
                        const std::string& prefix, const std::set<std::string>& explicit_flags) {
  for (const auto& [key, node] : table) {
    const std::string name = prefix + std::string(key.str());
    if (const auto* sub = node.as_table()) {
      absl::Status status = ApplyTable(path, *sub, name + "_", explicit_flags);
      if (!status.ok()) return status;
      continue;
    }
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": key \"", name, "\" is not a flag"));
    }
    if (explicit_flags.contains(name)) continue;
    absl::StatusOr<std::string> text = ValueText(node);
    if (!text.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": key \"", name, "\": ", text.status().message()));
    }
    std::string error;
    if (!flag->ParseFrom(*text, &error)) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": key \"", name, "\" = \"", *text, "\": ", error));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckTomlText(absl::string_view text, absl::string_view origin) {
  enum State { kCode, kComment, kBasic, kLiteral, kMultiBasic, kMultiLiteral };
  State state = kCode;
  bool escaped = false;    // the byte after a backslash in a basic string
  bool line_start = true;  // only whitespace so far on this line (in code)
  std::string open;        // the [ and { of array and inline-table values
  char prev = '\n';        // the last code byte but whitespace ('\n' at a line start)
  auto at = [&](size_t i, absl::string_view what) { return text.substr(i, what.size()) == what; };
  auto refuse = [&](size_t i, absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat(
        origin, ": ", what, " 0x", absl::Hex(static_cast<unsigned char>(text[i]), absl::kZeroPad2),
        " at byte ", i));
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
      return refuse(i, "control character");
    }
  }
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (escaped) {
      escaped = false;
      continue;
    }
    switch (state) {
      case kCode:
        if (c >= 0x80) return refuse(i, "non-ASCII byte outside a string or comment");
        if (c == '[' && line_start && open.empty()) {
          // A table header: toml++ asserts that a key starts it.
          size_t j = i + 1;
          if (j < text.size() && text[j] == '[') ++j;
          while (j < text.size() && (text[j] == ' ' || text[j] == '\t')) ++j;
          const char k = j < text.size() ? text[j] : '\n';
          if (!absl::ascii_isalnum(static_cast<unsigned char>(k)) && k != '_' && k != '-' &&
              k != '"' && k != '\'') {
            return refuse(j < text.size() ? j : i, "table header that does not start with a key:");
          }
          if (i + 1 < text.size() && text[i + 1] == '[') ++i;  // [[array of tables]]
        } else if (c == '[' || c == '{') {
          open.push_back(static_cast<char>(c));
        } else if ((c == ']' || c == '}') && !open.empty()) {
          // toml++ asserts a value where `[ }` or `[,` puts a terminator.
          if (open.back() != (c == ']' ? '[' : '{')) return refuse(i, "mismatched bracket");
          open.pop_back();
        }
        if (!open.empty() && open.back() == '[' && (prev == '[' || prev == ',') &&
            (c == ',' || c == '}')) {
          return refuse(i, "array element missing before");
        }
        if (c == '\n') {
          line_start = true;
        } else if (c != ' ' && c != '\t' && c != '\r') {
          line_start = false;
        }
        if (c == '#') state = kComment;
        if ((c == '"' || c == '\'') &&
            absl::string_view("\n=[{,.").find(prev) == absl::string_view::npos) {
          // Not where a key or value starts (`4"x"`): toml++ would scan it
          // as part of a bare value, non-ASCII bytes and all.
          return refuse(i, "quote that does not start a key or value:");
        }
        if (c != ' ' && c != '\t' && c != '\r') prev = static_cast<char>(c);
        if (at(i, "\"\"\"")) {
          state = kMultiBasic;
          i += 2;
        } else if (at(i, "'''")) {
          state = kMultiLiteral;
          i += 2;
        } else if (c == '"') {
          state = kBasic;
        } else if (c == '\'') {
          state = kLiteral;
        }
        break;
      case kComment:
        if (c == '\n') {
          state = kCode;
          line_start = true;
          prev = '\n';
        }
        break;
      case kBasic:
        if (c == '\\') escaped = true;
        if (c == '"' || c == '\n') state = kCode;
        break;
      case kLiteral:
        if (c == '\'' || c == '\n') state = kCode;
        break;
      case kMultiBasic:
        if (c == '\\') {
          // A line-ending backslash: toml++ skips the whitespace after it
          // with the classifier that misjudges non-ASCII.
          size_t j = i + 1;
          while (j < text.size() && (text[j] == ' ' || text[j] == '\t')) ++j;
          if (j < text.size() && (text[j] == '\n' || text[j] == '\r')) {
            while (j < text.size() &&
                   absl::string_view(" \t\r\n").find(text[j]) != absl::string_view::npos) {
              ++j;
            }
            if (j < text.size() && static_cast<unsigned char>(text[j]) >= 0x80) {
              return refuse(j, "non-ASCII byte after a line-ending backslash");
            }
            i = j - 1;
          } else {
            escaped = true;
          }
        } else if (at(i, "\"\"\"")) {
          state = kCode;
          i += 2;
        }
        break;
      case kMultiLiteral:
        if (at(i, "'''")) {
          state = kCode;
          i += 2;
        }
        break;
    }
  }
  return absl::OkStatus();
}

absl::Status ApplyTomlFlags(const std::string& path, const std::vector<std::string>& argv) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("config ", path, ": cannot read the file"));
  std::stringstream contents;
  contents << in.rdbuf();
  const std::string text = contents.str();
  PEERGRID_RETURN_IF_ERROR(CheckTomlText(text, absl::StrCat("config ", path)));
  toml::parse_result parsed = toml::parse(text, path);
  if (!parsed) {
    std::ostringstream where;
    where << parsed.error().source().begin;
    return absl::InvalidArgumentError(absl::StrCat(
        "config ", path, ": ", std::string(parsed.error().description()), " at ", where.str()));
  }
  return ApplyTable(path, parsed.table(), "", ExplicitFlags(argv));
}

std::vector<std::string> NormalizeFlagNames(int argc, char** argv) {
  std::vector<std::string> out;
  bool flags_done = false;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--") flags_done = true;
    if (i > 0 && !flags_done && absl::StartsWith(arg, "--")) {
      const size_t end = std::min(arg.find('='), arg.size());
      for (size_t j = 2; j < end; ++j) {
        if (arg[j] == '-') arg[j] = '_';
      }
    }
    out.push_back(std::move(arg));
  }
  return out;
}

}  // namespace peergrid::runtime
