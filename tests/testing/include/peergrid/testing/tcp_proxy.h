// A TCP relay on 127.0.0.1 for tests whose client must lose its connection
// abruptly (a crashed process, a pulled cable): every connection accepted on
// port() is relayed to 127.0.0.1:<target_port>, byte for byte, until Cut()
// drops every relayed connection at once on both sides without a goodbye
// (no HTTP/2 GOAWAY, no RST_STREAM: the sockets just close). Connections made
// after a Cut are relayed again.
//
// Thread-safety: thread-safe. Errors: Start returns Internal when a socket
// call fails.
#ifndef PEERGRID_TESTING_TCP_PROXY_H_
#define PEERGRID_TESTING_TCP_PROXY_H_

#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace peergrid::testing {

class TcpProxy {
 public:
  // Listens on 127.0.0.1 (a free port) and relays to 127.0.0.1:target_port.
  static absl::StatusOr<std::unique_ptr<TcpProxy>> Start(int target_port);
  // Stops accepting and cuts every connection.
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  // Returns the port clients connect to.
  int port() const { return port_; }
  // Drops every connection relayed so far, both ends at once.
  void Cut();
  // Returns how many connections have been accepted.
  int accepted() const;

 private:
  // One relayed connection: the client's socket, the target's, and a pipe
  // whose write end Cut() writes to stop the relay.
  struct Connection {
    int client = -1;
    int target = -1;
    int cut[2] = {-1, -1};
    std::thread relay;
  };

  TcpProxy(int listen_fd, int port, int target_port, int stop_read, int stop_write);
  void AcceptLoop();
  // Copies bytes both ways until both directions are closed or `cut_fd`
  // becomes readable. Closes nothing (Cut and the destructor do).
  static void Relay(int client, int target, int cut_fd);

  const int listen_fd_;
  const int port_;
  const int target_port_;
  const int stop_read_;   // AcceptLoop's poll ends when this becomes readable
  const int stop_write_;  // ... which the destructor makes it
  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<Connection>> connections_ ABSL_GUARDED_BY(mu_);
  int accepted_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread acceptor_;
};

}  // namespace peergrid::testing

#endif  // PEERGRID_TESTING_TCP_PROXY_H_
