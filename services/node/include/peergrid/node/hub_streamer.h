// The hub's streaming client: sends every buffered report to the exchange over
// HubService.Report and drops reports from the HubBuffer as they are
// acknowledged. When the stream breaks (exchange down, network, restart) it
// reconnects with exponential backoff and full jitter (seeded) and resends
// everything still unacknowledged, oldest first, so an outage loses nothing.
// Rejected reports are logged (JSON lines) and dropped: the exchange's
// acked_seq never moves for them, so the streamer drops a rejected seq itself
// once it is the next after everything acknowledged.
//
// Thread-safety: Start/Stop from one thread; the accessors are thread-safe.
#ifndef PEERGRID_NODE_HUB_STREAMER_H_
#define PEERGRID_NODE_HUB_STREAMER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "grpcpp/security/credentials.h"
#include "peergrid/node/hub_buffer.h"

namespace peergrid::node {

struct StreamerOptions {
  std::string target;  // exchange address, host:port
  // How to reach it: the hub's mutual-TLS credentials (rpc::MakeChannelCredentials);
  // plaintext only for in-process tests and --insecure.
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(5);
  uint64_t seed = 1;            // jitter
  size_t max_in_flight = 4096;  // sent but unacknowledged reports
};

struct StreamerStats {
  uint64_t sent = 0;       // reports written (resends included)
  uint64_t acked_seq = 0;  // highest acknowledged seq
  uint64_t rejected = 0;   // reports the exchange rejected
  uint64_t streams = 0;    // streams opened
};

class HubStreamer {
 public:
  // Borrows `buffer` (must outlive the streamer).
  HubStreamer(HubBuffer* buffer, StreamerOptions options);
  ~HubStreamer();

  // Starts the streaming thread.
  void Start();
  // Stops: finishes the current stream gracefully (waits up to `grace` for the
  // last acknowledgements) and joins the thread.
  void Stop(absl::Duration grace = absl::Seconds(2));

  StreamerStats stats() const;

 private:
  void Loop();
  // Runs one stream until it breaks or Stop; returns whether any ack arrived.
  bool RunStream();

  HubBuffer* const buffer_;
  const StreamerOptions options_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  absl::Duration grace_ = absl::Seconds(2);
  absl::Notification stop_notice_;
  mutable absl::Mutex mu_;
  StreamerStats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace peergrid::node

#endif  // PEERGRID_NODE_HUB_STREAMER_H_
