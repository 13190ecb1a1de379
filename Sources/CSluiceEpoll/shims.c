// The socket calls of CSluiceEpoll.h, kept out of the header (see there).
#define _GNU_SOURCE
#include "CSluiceEpoll.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>

int sluice_accept(int listener) {
    return accept4(listener, 0, 0, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

int sluice_socket_port(int fd, int peer) {
    struct sockaddr_storage address;
    socklen_t length = sizeof(address);
    int got = peer ? getpeername(fd, (struct sockaddr *)&address, &length) : getsockname(fd, (struct sockaddr *)&address, &length);
    if (got != 0) return -1;
    if (address.ss_family == AF_INET) return ntohs(((struct sockaddr_in *)&address)->sin_port);
    if (address.ss_family == AF_INET6) return ntohs(((struct sockaddr_in6 *)&address)->sin6_port);
    return -1;
}

int sluice_peer_address(int fd, char *text, size_t size) {
    struct sockaddr_storage address;
    socklen_t length = sizeof(address);
    if (getpeername(fd, (struct sockaddr *)&address, &length) != 0) return -1;
    const void *ip;
    if (address.ss_family == AF_INET) ip = &((struct sockaddr_in *)&address)->sin_addr;
    else if (address.ss_family == AF_INET6) ip = &((struct sockaddr_in6 *)&address)->sin6_addr;
    else return -1;
    return inet_ntop(address.ss_family, ip, text, (socklen_t)size) ? 0 : -1;
}

void sluice_name_thread(const char *name) {
    prctl(PR_SET_NAME, name, 0, 0, 0);
}

int sluice_schedule_as_batch(void) {
    struct sched_param parameters = {0};
    return sched_setscheduler(0, SCHED_BATCH, &parameters);
}
