// epoll and eventfd for Sluice's own event loop (EpollEventLoop) and the epoll floor
// benchmark: Glibc's Swift module leaves out sys/epoll.h and sys/eventfd.h.
#ifndef C_SLUICE_EPOLL_H
#define C_SLUICE_EPOLL_H
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <stddef.h>

static const uint32_t sluice_epoll_in = EPOLLIN;
static const uint32_t sluice_epoll_out = EPOLLOUT;
static const uint32_t sluice_epoll_hup = EPOLLHUP;
static const uint32_t sluice_epoll_rdhup = EPOLLRDHUP;
static const uint32_t sluice_epoll_err = EPOLLERR;
static const uint32_t sluice_epoll_exclusive = EPOLLEXCLUSIVE;
static const int sluice_eventfd_flags = EFD_NONBLOCK | EFD_CLOEXEC;

// The socket calls below live in shims.c: this header includes no socket header, since a C
// module that does takes those declarations from Glibc's module for every Swift file.

/// accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC: the connection is non-blocking and not inherited
/// by child processes from its first instruction (Glibc's module declares no accept4).
int sluice_accept(int listener);

/// The port of `fd`'s own end (`peer` 0) or its peer's (`peer` 1); -1 when it has none.
int sluice_socket_port(int fd, int peer);

/// The peer's IP address of `fd` as text into `text` (`size` bytes, 46 are enough); 0 when
/// written, -1 when the peer has none (a unix socket) or it cannot be read.
int sluice_peer_address(int fd, char *text, size_t size);

/// Names the calling thread (its first 15 bytes), as `top -H` and /proc show it; neither
/// Swift's Glibc nor its Musl module declares pthread_setname_np.
void sluice_name_thread(const char *name);

/// Puts the calling thread under SCHED_BATCH (its wakeups do not preempt the running task);
/// 0 when done, -1 with errno otherwise.
int sluice_schedule_as_batch(void);
#endif
