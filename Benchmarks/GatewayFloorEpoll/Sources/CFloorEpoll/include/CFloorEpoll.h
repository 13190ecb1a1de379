// epoll for the epoll floor (Glibc's Swift module leaves out sys/epoll.h).
#ifndef C_FLOOR_EPOLL_H
#define C_FLOOR_EPOLL_H
#include <stdint.h>
#include <sys/epoll.h>

static const uint32_t floor_epoll_in = EPOLLIN;
static const uint32_t floor_epoll_out = EPOLLOUT;
static const uint32_t floor_epoll_hup = EPOLLHUP;
static const uint32_t floor_epoll_err = EPOLLERR;
static const uint32_t floor_epoll_exclusive = EPOLLEXCLUSIVE;
#endif
