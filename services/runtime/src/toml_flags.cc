#include "peergrid/runtime/toml_flags.h"

#include <algorithm>
#include <set>
#include <sstream>

#include "absl/flags/reflection.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
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

absl::Status ApplyTomlFlags(const std::string& path, const std::vector<std::string>& argv) {
  toml::parse_result parsed = toml::parse_file(path);
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
