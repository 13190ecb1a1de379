// epoll and eventfd for Sluice's own event loop (EpollEventLoop) and the epoll floor
// benchmark: Glibc's Swift module leaves out sys/epoll.h and sys/eventfd.h.
#ifndef C_SLUICE_EPOLL_H
#define C_SLUICE_EPOLL_H
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stddef.h>

static const uint32_t sluice_epoll_in = EPOLLIN;
static const uint32_t sluice_epoll_out = EPOLLOUT;
static const uint32_t sluice_epoll_hup = EPOLLHUP;
static const uint32_t sluice_epoll_rdhup = EPOLLRDHUP;
static const uint32_t sluice_epoll_err = EPOLLERR;
static const uint32_t sluice_epoll_exclusive = EPOLLEXCLUSIVE;
static const int sluice_eventfd_flags = EFD_NONBLOCK | EFD_CLOEXEC;

/// accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC: the connection is non-blocking and not inherited
/// by child processes from its first instruction (Glibc declares accept4 only under _GNU_SOURCE,
/// which would give this module other struct layouts than Glibc's).
int accept4(int fd, struct sockaddr *address, socklen_t *length, int flags);
static inline int sluice_accept(int listener) {
    return accept4(listener, 0, 0, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

/// The port of `fd`'s own end (`peer` 0) or its peer's (`peer` 1); -1 when it has none.
static inline int sluice_socket_port(int fd, int peer) {
    struct sockaddr_storage address;
    socklen_t length = sizeof(address);
    int got = peer ? getpeername(fd, (struct sockaddr *)&address, &length) : getsockname(fd, (struct sockaddr *)&address, &length);
    if (got != 0) return -1;
    if (address.ss_family == AF_INET) return ntohs(((struct sockaddr_in *)&address)->sin_port);
    if (address.ss_family == AF_INET6) return ntohs(((struct sockaddr_in6 *)&address)->sin6_port);
    return -1;
}

/// The peer's IP address of `fd` as text into `text` (at least INET6_ADDRSTRLEN bytes);
/// 0 when written, -1 when the peer has none (a unix socket) or it cannot be read.
static inline int sluice_peer_address(int fd, char *text, size_t size) {
    struct sockaddr_storage address;
    socklen_t length = sizeof(address);
    if (getpeername(fd, (struct sockaddr *)&address, &length) != 0) return -1;
    const void *ip;
    if (address.ss_family == AF_INET) ip = &((struct sockaddr_in *)&address)->sin_addr;
    else if (address.ss_family == AF_INET6) ip = &((struct sockaddr_in6 *)&address)->sin6_addr;
    else return -1;
    return inet_ntop(address.ss_family, ip, text, (socklen_t)size) ? 0 : -1;
}
#endif
