// The exchange's directory of registered hubs and participants, as the
// telemetry ingest and the market see it. The exchange fills it from its
// ledger (AdminService registrations); tests use InMemoryHubDirectory.
// Thread-safety: implementations are thread-safe.
#ifndef PEERGRID_EXCHANGE_HUB_DIRECTORY_H_
#define PEERGRID_EXCHANGE_HUB_DIRECTORY_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "peergrid/v1/admin.pb.h"

namespace peergrid::exchange {

class HubDirectory {
 public:
  virtual ~HubDirectory() = default;
  // Returns the registered hub, or NotFound naming hub_id.
  virtual absl::StatusOr<v1::Hub> FindHub(const std::string& hub_id) const = 0;
  // Returns every registered hub, ordered by hub_id.
  virtual std::vector<v1::Hub> ListHubs() const = 0;
  // Returns the registered participant, or NotFound naming participant_id.
  virtual absl::StatusOr<v1::Participant> FindParticipant(
      const std::string& participant_id) const = 0;
  // Returns the participants registered on a hub, ordered by participant_id.
  virtual std::vector<v1::Participant> ParticipantsOf(const std::string& hub_id) const = 0;
  // Returns a number that changes whenever a hub or participant is added, so
  // callers may cache lookups until it does.
  virtual uint64_t Generation() const = 0;
};

// A HubDirectory held in memory. Add* return AlreadyExists for a taken id and
// NotFound for a participant on an unknown hub.
class InMemoryHubDirectory final : public HubDirectory {
 public:
  absl::Status AddHub(const v1::Hub& hub);
  absl::Status AddParticipant(const v1::Participant& participant);

  absl::StatusOr<v1::Hub> FindHub(const std::string& hub_id) const override;
  std::vector<v1::Hub> ListHubs() const override;
  absl::StatusOr<v1::Participant> FindParticipant(const std::string& participant_id) const override;
  std::vector<v1::Participant> ParticipantsOf(const std::string& hub_id) const override;
  uint64_t Generation() const override { return generation_.load(std::memory_order_acquire); }

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, v1::Hub> hubs_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, v1::Participant> participants_ ABSL_GUARDED_BY(mu_);
  std::atomic<uint64_t> generation_{0};
};

}  // namespace peergrid::exchange

#endif  // PEERGRID_EXCHANGE_HUB_DIRECTORY_H_
