// epoll and eventfd for Sluice's own event loop (EpollEventLoop) and the epoll floor
// benchmark: Glibc's Swift module leaves out sys/epoll.h and sys/eventfd.h.
#ifndef C_SLUICE_EPOLL_H
#define C_SLUICE_EPOLL_H
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

static const uint32_t sluice_epoll_in = EPOLLIN;
static const uint32_t sluice_epoll_out = EPOLLOUT;
static const uint32_t sluice_epoll_hup = EPOLLHUP;
static const uint32_t sluice_epoll_rdhup = EPOLLRDHUP;
static const uint32_t sluice_epoll_err = EPOLLERR;
static const uint32_t sluice_epoll_exclusive = EPOLLEXCLUSIVE;
static const int sluice_eventfd_flags = EFD_NONBLOCK | EFD_CLOEXEC;
#endif
