#include "offline_io.h"

#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "command.h"
#include "google/protobuf/util/json_util.h"
#include "nlohmann/json.hpp"

namespace peergrid::ctl {
namespace {

// The protobuf JSON parser names a bad list element by position only
// ("(orders[3].side): invalid value ..."). Returns " (order_id \"Y\")" or
// " (participant_id \"h1\")" for that element when `text` is valid JSON that
// has it, else "".
std::string NameListElement(const std::string& text, absl::string_view error) {
  struct List {
    absl::string_view name;
    const char* id_field;
    const char* camel_id_field;
  };
  for (const List& list : {List{"orders[", "order_id", "orderId"},
                           List{"meter_reads[", "participant_id", "participantId"}}) {
    const size_t at = error.find(list.name);
    if (at == absl::string_view::npos) continue;
    const size_t digits = at + list.name.size();
    const size_t close = error.find(']', digits);
    size_t index = 0;
    if (close == absl::string_view::npos ||
        !absl::SimpleAtoi(error.substr(digits, close - digits), &index)) {
      return "";
    }
    const nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    const std::string key(list.name.substr(0, list.name.size() - 1));
    if (!json.is_object() || !json.contains(key) || !json[key].is_array() ||
        index >= json[key].size() || !json[key][index].is_object()) {
      return "";
    }
    const nlohmann::json& element = json[key][index];
    for (const char* field : {list.id_field, list.camel_id_field}) {
      if (element.contains(field) && element[field].is_string()) {
        return absl::StrCat(" (", list.id_field, " \"", element[field].get<std::string>(), "\")");
      }
    }
    return "";
  }
  return "";
}

}  // namespace

absl::Status ReadJsonFile(const std::string& path, google::protobuf::Message* message) {
  std::string text;
  if (path == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) return absl::NotFoundError(absl::StrCat("cannot read --input ", path));
    std::ostringstream buffer;
    buffer << in.rdbuf();
    text = buffer.str();
  }
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto status = google::protobuf::util::JsonStringToMessage(text, message, options);
  if (!status.ok()) {
    const std::string error = status.message().as_string();
    return absl::InvalidArgumentError(absl::StrCat(path, ": malformed ", message->GetTypeName(),
                                                   " JSON: ", error, NameListElement(text, error)));
  }
  return absl::OkStatus();
}

absl::Status PrintJsonMessage(const google::protobuf::Message& message, bool compact) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  options.add_whitespace = !compact;
  std::string out;
  auto status = google::protobuf::util::MessageToJsonString(message, &out, options);
  if (!status.ok()) {
    return absl::InternalError(absl::StrCat("cannot print ", message.GetTypeName(),
                                            " as JSON: ", status.message().as_string()));
  }
  std::cout << out;
  if (out.empty() || out.back() != '\n') std::cout << "\n";
  return absl::OkStatus();
}

int ReportOffline(const std::string& command, const absl::Status& status) {
  if (status.ok()) return 0;
  const int code =
      ReportStatus(absl::Status(status.code(), absl::StrCat(command, ": ", status.message())));
  return status.code() == absl::StatusCode::kOutOfRange ? 2 : code;
}

}  // namespace peergrid::ctl
