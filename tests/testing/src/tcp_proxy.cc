#include "peergrid/testing/tcp_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace peergrid::testing {
namespace {

absl::Status Errno(const char* what) {
  return absl::InternalError(absl::StrCat("tcp proxy: ", what, ": ", std::strerror(errno)));
}

sockaddr_in Loopback(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

// Makes close() send a RST at once instead of a FIN: the peer sees the
// connection die, not end.
void LingerZero(int fd) {
  linger l{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
}

}  // namespace

absl::StatusOr<std::unique_ptr<TcpProxy>> TcpProxy::Start(int target_port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Errno("socket");
  sockaddr_in address = Loopback(0);
  socklen_t length = sizeof address;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || listen(fd, 64) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    absl::Status status = Errno("bind/listen");
    close(fd);
    return status;
  }
  int stop[2];
  if (pipe2(stop, O_CLOEXEC) != 0) {
    absl::Status status = Errno("pipe");
    close(fd);
    return status;
  }
  return std::unique_ptr<TcpProxy>(
      new TcpProxy(fd, ntohs(address.sin_port), target_port, stop[0], stop[1]));
}

TcpProxy::TcpProxy(int listen_fd, int port, int target_port, int stop_read, int stop_write)
    : listen_fd_(listen_fd),
      port_(port),
      target_port_(target_port),
      stop_read_(stop_read),
      stop_write_(stop_write),
      acceptor_([this] { AcceptLoop(); }) {}

TcpProxy::~TcpProxy() {
  const char byte = 0;
  (void)!write(stop_write_, &byte, 1);
  acceptor_.join();
  Cut();
  close(listen_fd_);
  close(stop_read_);
  close(stop_write_);
}

void TcpProxy::AcceptLoop() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_read_, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    const int client = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    const int target = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address = Loopback(target_port_);
    auto connection = std::make_unique<Connection>();
    if (target < 0 || connect(target, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        pipe2(connection->cut, O_CLOEXEC) != 0) {
      close(client);
      if (target >= 0) close(target);
      continue;
    }
    const int one = 1;
    setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(target, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    connection->client = client;
    connection->target = target;
    connection->relay = std::thread(Relay, client, target, connection->cut[0]);
    absl::MutexLock lock(&mu_);
    ++accepted_;
    connections_.push_back(std::move(connection));
  }
}

void TcpProxy::Relay(int client, int target, int cut_fd) {
  // open[0]: client → target still flows; open[1]: target → client.
  bool open[2] = {true, true};
  const int from[2] = {client, target};
  const int to[2] = {target, client};
  char buffer[16384];
  while (open[0] || open[1]) {
    pollfd fds[3] = {{client, static_cast<short>(open[0] ? POLLIN : 0), 0},
                     {target, static_cast<short>(open[1] ? POLLIN : 0), 0},
                     {cut_fd, POLLIN, 0}};
    if (poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[2].revents != 0) return;
    for (int d = 0; d < 2; ++d) {
      if (!open[d] || fds[d].revents == 0) continue;
      const ssize_t n = read(from[d], buffer, sizeof buffer);
      if (n <= 0) {
        // The sender closed (or broke): pass the end on, keep the other way.
        shutdown(to[d], SHUT_WR);
        open[d] = false;
        continue;
      }
      for (ssize_t sent = 0; sent < n;) {
        const ssize_t w = write(to[d], buffer + sent, static_cast<size_t>(n - sent));
        if (w <= 0) return;
        sent += w;
      }
    }
  }
}

void TcpProxy::Cut() {
  absl::MutexLock lock(&mu_);
  for (std::unique_ptr<Connection>& c : connections_) {
    const char byte = 0;
    (void)!write(c->cut[1], &byte, 1);
    c->relay.join();
    LingerZero(c->client);
    LingerZero(c->target);
    for (int fd : {c->client, c->target, c->cut[0], c->cut[1]}) close(fd);
  }
  connections_.clear();
}

int TcpProxy::accepted() const {
  absl::MutexLock lock(&mu_);
  return accepted_;
}

}  // namespace peergrid::testing
