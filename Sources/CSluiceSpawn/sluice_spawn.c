#define _GNU_SOURCE
#include "sluice_spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/// Marks one descriptor close-on-exec (async-signal-safe).
static void set_cloexec(int fd) {
    int flags = fcntl(fd, F_GETFD);
    if (flags >= 0 && !(flags & FD_CLOEXEC)) fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

#ifdef __linux__
/// The layout of the records getdents64 returns (glibc does not declare it).
struct sluice_dirent64 {
    unsigned long long d_ino;
    long long d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

/// Marks every open descriptor above 2 close-on-exec by reading /proc/self/fd with raw
/// getdents64 (opendir allocates, which is not allowed between fork and exec).
/// Returns 0, or -1 when /proc is not readable.
static int cloexec_from_proc(void) {
    int dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) return -1;
    char buffer[4096] __attribute__((aligned(8)));
    for (;;) {
        long count = syscall(SYS_getdents64, dir, buffer, sizeof buffer);
        if (count < 0 && errno == EINTR) continue;
        if (count <= 0) break;
        for (long offset = 0; offset < count;) {
            struct sluice_dirent64 *entry = (struct sluice_dirent64 *)(buffer + offset);
            offset += entry->d_reclen;
            int fd = 0;
            const char *digit = entry->d_name;
            if (*digit < '0' || *digit > '9') continue;
            for (; *digit >= '0' && *digit <= '9'; digit++) fd = fd * 10 + (*digit - '0');
            if (fd > 2 && fd != dir) set_cloexec(fd);
        }
    }
    close(dir);
    return 0;
}
#endif

/// Makes sure that exactly descriptors 0, 1 and 2 survive an exec: the kernel's
/// close_range (Linux 5.11 and later), else a walk of /proc/self/fd, else every number up
/// to the descriptor limit. Close-on-exec rather than close, so the exec-error pipe still
/// reports a failed exec.
void sluice_cloexec_above_stderr(void) {
#if defined(__linux__) && defined(SYS_close_range)
    if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
#endif
#ifdef __linux__
    if (cloexec_from_proc() == 0) return;
#endif
    struct rlimit limit;
    long maximum = 65536;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) maximum = (long)limit.rlim_cur;
    for (long fd = 3; fd < maximum; fd++) set_cloexec((int)fd);
}

pid_t sluice_spawn(char *const argv[], char *const envp[], const char *directory, int log_fd, int cgroup_fd, int *failed_step) {
    struct sluice_spawn_io io = {.stdin_fd = -1, .stdout_fd = log_fd, .stderr_fd = log_fd, .die_with_parent = 1};
    return sluice_spawn_with(argv, envp, directory, io, cgroup_fd, failed_step);
}

/// Puts `fd` at `target` in the child (async-signal-safe). A descriptor already at its
/// place only loses close-on-exec.
static int place(int fd, int target) {
    if (fd == target) {
        int flags = fcntl(fd, F_GETFD);
        return flags < 0 ? -1 : fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
    }
    return dup2(fd, target) < 0 ? -1 : 0;
}

pid_t sluice_spawn_with(char *const argv[], char *const envp[], const char *directory, struct sluice_spawn_io io, int cgroup_fd, int *failed_step) {
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) return -errno;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        int error = errno;
        close(report[0]);
        close(report[1]);
        return -error;
    }
    if (pid == 0) {
        // Only async-signal-safe calls from here to exec.
        int error = 0;
        int step = SLUICE_SPAWN_STEP_SETUP;
#ifdef __linux__
        if (io.die_with_parent) {
            if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) error = errno;
            // The parent may have died between fork and prctl.
            if (error == 0 && getppid() != parent) _exit(127);
        }
#endif
        if (error == 0 && setpgid(0, 0) != 0) error = errno;
        // "0" moves the writing process; its descendants are born in the cgroup too.
        if (error == 0 && cgroup_fd >= 0) {
            step = SLUICE_SPAWN_STEP_CGROUP;
            if (write(cgroup_fd, "0", 1) != 1) error = errno;
        }
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        for (int sig = 1; sig < 32; sig++) {
            if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &dfl, NULL);
        }
        if (error == 0 && io.stdin_fd < 0) {
            int null_fd = open("/dev/null", O_RDONLY);
            if (null_fd >= 0) dup2(null_fd, 0);
        }
        // Any order is safe: the caller's descriptors are all above 2 or already in place.
        if (error == 0 && io.stdin_fd >= 0 && place(io.stdin_fd, 0) != 0) error = errno;
        if (error == 0 && io.stdout_fd >= 0 && place(io.stdout_fd, 1) != 0) error = errno;
        if (error == 0 && io.stderr_fd >= 0 && place(io.stderr_fd, 2) != 0) error = errno;
        if (error == 0 && directory != NULL) {
            step = SLUICE_SPAWN_STEP_DIRECTORY;
            if (chdir(directory) != 0) error = errno;
        }
        if (error == 0) {
            step = SLUICE_SPAWN_STEP_EXEC;
            sluice_cloexec_above_stderr();
            execve(argv[0], argv, envp);
            error = errno;
        }
        int failure[2] = {error, step};
        ssize_t ignored = write(report[1], failure, sizeof failure);
        (void)ignored;
        _exit(127);
    }
    close(report[1]);
    int failure[2] = {0, 0};
    ssize_t got;
    do {
        got = read(report[0], failure, sizeof failure);
    } while (got < 0 && errno == EINTR);
    close(report[0]);
    if (got == (ssize_t)sizeof failure) {
        int status;
        waitpid(pid, &status, 0);
        if (failed_step != NULL) *failed_step = failure[1];
        return -failure[0];
    }
    return pid;
}

int sluice_become_subreaper(void) {
#ifdef __linux__
    return prctl(PR_SET_CHILD_SUBREAPER, 1) == 0 ? 0 : -errno;
#else
    return -ENOSYS;
#endif
}

pid_t sluice_try_wait(pid_t pid, int *status) {
    pid_t result;
    do {
        result = waitpid(pid, status, WNOHANG);
    } while (result < 0 && errno == EINTR);
    return result;
}

pid_t sluice_peek_exited(pid_t pid, int nohang) {
    siginfo_t info;
    memset(&info, 0, sizeof info);
    int result;
    do {
        result = waitid(pid > 0 ? P_PID : P_ALL, pid > 0 ? (id_t)pid : 0, &info, WEXITED | WNOWAIT | (nohang ? WNOHANG : 0));
    } while (result < 0 && errno == EINTR);
    if (result < 0) return -errno;
    return info.si_pid;
}

int sluice_pidfd_open(pid_t pid) {
#if defined(__linux__) && defined(SYS_pidfd_open)
    long result = syscall(SYS_pidfd_open, pid, 0);
    return result < 0 ? -errno : (int)result;
#else
    (void)pid;
    return -ENOSYS;
#endif
}

int sluice_pidfd_send_signal(int pidfd, int signal) {
#if defined(__linux__) && defined(SYS_pidfd_send_signal)
    return syscall(SYS_pidfd_send_signal, pidfd, signal, NULL, 0) < 0 ? -errno : 0;
#else
    (void)pidfd;
    (void)signal;
    return -ENOSYS;
#endif
}

int sluice_exited(int status) { return WIFEXITED(status); }
int sluice_exit_code(int status) { return WEXITSTATUS(status); }
int sluice_signaled(int status) { return WIFSIGNALED(status); }
int sluice_term_signal(int status) { return WTERMSIG(status); }
