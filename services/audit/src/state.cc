#include "peergrid/audit/state.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace peergrid::audit {

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return absl::UnavailableError(absl::StrCat("cannot read ", path));
  return std::move(ss).str();
}

absl::Status WriteFileAtomically(const std::string& path, const std::string& contents) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat("cannot create ", tmp, ": ", std::strerror(errno)));
  }
  size_t done = 0;
  while (done < contents.size()) {
    ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return absl::UnavailableError(absl::StrCat("cannot write ", tmp, ": ", std::strerror(err)));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    return absl::UnavailableError(absl::StrCat("cannot sync ", tmp, ": ", std::strerror(errno)));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot rename ", tmp, " to ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<TrustedCheckpoint>> ReadTrustedState(const std::string& path) {
  absl::StatusOr<std::string> text = ReadWholeFile(path);
  if (absl::IsNotFound(text.status())) return std::optional<TrustedCheckpoint>();
  if (!text.ok()) return text.status();
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat("state file ", path, " is not a JSON object"));
  }
  TrustedCheckpoint t;
  auto field = [&](const char* name, auto* out) -> absl::Status {
    auto it = j.find(name);
    using T = std::remove_pointer_t<decltype(out)>;
    if (it == j.end() ||
        (std::is_same_v<T, std::string> ? !it->is_string() : !it->is_number_unsigned())) {
      return absl::InvalidArgumentError(
          absl::StrCat("state file ", path, ": field \"", name, "\" is missing or mistyped"));
    }
    *out = it->get<T>();
    return absl::OkStatus();
  };
  for (absl::Status s : {field("origin", &t.origin), field("tree_size", &t.tree_size),
                         field("root_hash", &t.root_base64), field("verifier_key", &t.verifier_key),
                         field("note", &t.note)}) {
    if (!s.ok()) return s;
  }
  return std::optional<TrustedCheckpoint>(std::move(t));
}

absl::Status WriteTrustedState(const std::string& path, const TrustedCheckpoint& t) {
  nlohmann::json j = {{"origin", t.origin},
                      {"tree_size", t.tree_size},
                      {"root_hash", t.root_base64},
                      {"verifier_key", t.verifier_key},
                      {"note", t.note}};
  return WriteFileAtomically(path, j.dump(2) + "\n");
}

}  // namespace peergrid::audit
