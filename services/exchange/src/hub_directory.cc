#include "peergrid/exchange/hub_directory.h"

#include "absl/strings/str_cat.h"
#include "peergrid/common/text.h"

namespace peergrid::exchange {

absl::Status InMemoryHubDirectory::AddHub(const v1::Hub& hub) {
  absl::MutexLock lock(&mu_);
  if (!hubs_.emplace(hub.hub_id(), hub).second) {
    return absl::AlreadyExistsError(absl::StrCat("hub_id \"", hub.hub_id(), "\" is registered"));
  }
  generation_.fetch_add(1, std::memory_order_release);
  return absl::OkStatus();
}

absl::Status InMemoryHubDirectory::AddParticipant(const v1::Participant& participant) {
  absl::MutexLock lock(&mu_);
  if (!hubs_.contains(participant.hub_id())) {
    return absl::NotFoundError(
        absl::StrCat("hub_id ", QuoteInput(participant.hub_id()), " is not registered"));
  }
  if (!participants_.emplace(participant.participant_id(), participant).second) {
    return absl::AlreadyExistsError(
        absl::StrCat("participant_id \"", participant.participant_id(), "\" is registered"));
  }
  generation_.fetch_add(1, std::memory_order_release);
  return absl::OkStatus();
}

absl::StatusOr<v1::Hub> InMemoryHubDirectory::FindHub(const std::string& hub_id) const {
  absl::MutexLock lock(&mu_);
  auto it = hubs_.find(hub_id);
  if (it == hubs_.end()) {
    return absl::NotFoundError(absl::StrCat("hub_id ", QuoteInput(hub_id), " is not registered"));
  }
  return it->second;
}

std::vector<v1::Hub> InMemoryHubDirectory::ListHubs() const {
  absl::MutexLock lock(&mu_);
  std::vector<v1::Hub> out;
  for (const auto& [id, hub] : hubs_) out.push_back(hub);
  return out;
}

absl::StatusOr<v1::Participant> InMemoryHubDirectory::FindParticipant(
    const std::string& participant_id) const {
  absl::MutexLock lock(&mu_);
  auto it = participants_.find(participant_id);
  if (it == participants_.end()) {
    return absl::NotFoundError(
        absl::StrCat("participant_id ", QuoteInput(participant_id), " is not registered"));
  }
  return it->second;
}

std::vector<v1::Participant> InMemoryHubDirectory::ParticipantsOf(const std::string& hub_id) const {
  absl::MutexLock lock(&mu_);
  std::vector<v1::Participant> out;
  for (const auto& [id, p] : participants_) {
    if (p.hub_id() == hub_id) out.push_back(p);
  }
  return out;
}

}  // namespace peergrid::exchange
