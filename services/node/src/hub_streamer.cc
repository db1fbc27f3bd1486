#include "peergrid/node/hub_streamer.h"

#include <algorithm>
#include <random>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"
#include "peergrid/runtime/json_log.h"
#include "peergrid/v1/hub.grpc.pb.h"

namespace peergrid::node {

HubStreamer::HubStreamer(HubBuffer* buffer, StreamerOptions options)
    : buffer_(buffer), options_(std::move(options)) {}

HubStreamer::~HubStreamer() { Stop(absl::ZeroDuration()); }

void HubStreamer::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void HubStreamer::Stop(absl::Duration grace) {
  if (!thread_.joinable()) return;
  grace_ = grace;
  stopping_ = true;
  if (!stop_notice_.HasBeenNotified()) stop_notice_.Notify();
  thread_.join();
}

StreamerStats HubStreamer::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

void HubStreamer::Loop() {
  std::mt19937_64 rng(options_.seed);
  absl::Duration backoff = options_.initial_backoff;
  while (!stopping_) {
    if (RunStream()) backoff = options_.initial_backoff;
    if (stopping_) break;
    // Full jitter: sleep uniformly in [0, backoff], then double it (capped).
    const double jitter = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
    stop_notice_.WaitForNotificationWithTimeout(backoff * jitter);
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

bool HubStreamer::RunStream() {
  auto channel = grpc::CreateChannel(options_.target, options_.credentials);
  auto stub = v1::HubService::NewStub(channel);
  grpc::ClientContext ctx;
  auto stream = stub->Report(&ctx);
  {
    absl::MutexLock lock(&mu_);
    ++stats_.streams;
  }
  std::atomic<bool> broken{false};
  std::atomic<bool> got_ack{false};
  std::atomic<uint64_t> acked{buffer_->acked_seq()};
  std::thread reader([&] {
    v1::ReportAck ack;
    while (stream->Read(&ack)) {
      got_ack = true;
      if (ack.has_rejection()) {
        runtime::LogJson("warn", "report rejected",
                         {{"seq", ack.rejection().seq()},
                          {"code", static_cast<int64_t>(ack.rejection().code())},
                          {"reason", ack.rejection().message()}});
        absl::MutexLock lock(&mu_);
        ++stats_.rejected;
      }
      uint64_t done = ack.acked_seq();
      // A rejected report never moves the exchange's acked_seq. The exchange
      // processes a stream in order, so when the rejected seq is the one right
      // after everything acknowledged, it is done with: drop it too rather
      // than resend it.
      if (ack.has_rejection() && ack.rejection().seq() == std::max<uint64_t>(done, acked) + 1) {
        done = ack.rejection().seq();
      }
      if (done > acked) {
        acked = done;
        if (absl::Status s = buffer_->Ack(done); !s.ok()) {
          runtime::LogJson("error", "cannot drop acknowledged reports", {{"error", s.ToString()}});
        }
        absl::MutexLock lock(&mu_);
        stats_.acked_seq = done;
      }
    }
    broken = true;
  });

  // Send everything unacknowledged, then new reports as they are buffered.
  uint64_t sent = buffer_->acked_seq();
  while (!stopping_ && !broken) {
    if (sent - std::min(sent, acked.load()) >= options_.max_in_flight) {
      absl::SleepFor(absl::Milliseconds(1));
      continue;
    }
    const size_t room = options_.max_in_flight - (sent - std::min(sent, acked.load()));
    absl::StatusOr<std::vector<v1::HubReport>> read =
        buffer_->ReadAfter(sent, std::min<size_t>(room, 256));
    if (!read.ok()) {
      // Never skip a report that does not parse: stop sending, say why, and
      // retry after the backoff (an operator must repair the buffer).
      runtime::LogJson("error", "cannot read buffered reports",
                       {{"after_seq", sent},
                        {"code", std::string(absl::StatusCodeToString(read.status().code()))},
                        {"error", std::string(read.status().message())}});
      broken = true;
      break;
    }
    std::vector<v1::HubReport>& reports = *read;
    if (reports.empty()) {
      buffer_->WaitForNew(sent, absl::Now() + absl::Milliseconds(100));
      continue;
    }
    bool ok = true;
    for (const v1::HubReport& r : reports) {
      if (!stream->Write(r)) {
        ok = false;
        break;
      }
      sent = r.seq();
      absl::MutexLock lock(&mu_);
      ++stats_.sent;
    }
    if (!ok) break;
  }
  if (stopping_ && !broken) {
    // Graceful: no more writes; wait a little for the last acks.
    stream->WritesDone();
    const absl::Time deadline = absl::Now() + grace_;
    while (!broken && acked < sent && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(5));
    }
  }
  ctx.TryCancel();
  reader.join();
  const grpc::Status status = stream->Finish();
  if (!stopping_ && !status.ok()) {
    runtime::LogJson(status.error_code() == grpc::StatusCode::PERMISSION_DENIED ? "error" : "warn",
                     "exchange stream broken",
                     {{"code", static_cast<int64_t>(status.error_code())},
                      {"error", status.error_message()},
                      {"unacked", buffer_->next_seq() - 1 - buffer_->acked_seq()}});
  }
  return got_ack;
}

}  // namespace peergrid::node
