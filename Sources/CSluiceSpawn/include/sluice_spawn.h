#ifndef SLUICE_SPAWN_H
#define SLUICE_SPAWN_H

#include <sys/types.h>

/// The child's steps before exec, reported with a failure.
enum {
    SLUICE_SPAWN_STEP_SETUP = 1,
    SLUICE_SPAWN_STEP_CGROUP = 2,
    SLUICE_SPAWN_STEP_DIRECTORY = 3,
    SLUICE_SPAWN_STEP_EXEC = 4,
};

/// Starts `argv[0]` (an absolute path: searching PATH after fork is not async-signal-safe) in its own process group, with stdin from
/// /dev/null and stdout and stderr appended to `log_fd` (or inherited when -1),
/// in `directory` (or the current one when NULL), with exactly `envp`.
/// On Linux the child receives SIGKILL when the calling thread's process dies, so a
/// supervisor killed with SIGKILL leaves no orphans; call it from a thread that lives
/// as long as the process.
/// Returns the child's pid, or -errno when the program could not be started
/// (the exec error is reported through a close-on-exec pipe, so a missing program
/// fails here instead of as an exit status later).
/// The program starts with exactly descriptors 0, 1 and 2: everything else is made
/// close-on-exec in the child, whatever flags the caller's descriptors carry.
/// When `cgroup_fd` is not -1 it is an open `cgroup.procs` file (cgroup v2) that the
/// child joins before exec, so the program and all its descendants are in that cgroup.
/// On failure `*failed_step` (when not NULL) says which step failed.
pid_t sluice_spawn(char *const argv[], char *const envp[], const char *directory, int log_fd, int cgroup_fd, int *failed_step);

/// Where a child's standard descriptors come from: -1 is /dev/null for stdin and the
/// caller's own stdout or stderr for the others.
struct sluice_spawn_io {
    int stdin_fd;
    int stdout_fd;
    int stderr_fd;
    /// Whether the child receives SIGKILL when the calling thread's process dies (Linux).
    int die_with_parent;
};

/// ``sluice_spawn`` with each standard descriptor chosen and the parent-death signal optional:
/// for callers (tests) that start children from threads that do not live as long as the process.
pid_t sluice_spawn_with(char *const argv[], char *const envp[], const char *directory, struct sluice_spawn_io io, int cgroup_fd, int *failed_step);

/// Marks every descriptor above 2 of the calling process close-on-exec (async-signal-safe):
/// at start, so descriptors inherited from whoever started it never pass further.
void sluice_cloexec_above_stderr(void);

/// Makes the calling process the reaper of its orphaned descendants
/// (PR_SET_CHILD_SUBREAPER), so a model server's forked helpers stay visible to it.
/// Returns 0 or -errno.
int sluice_become_subreaper(void);

/// Non-blocking wait: 0 while running; the pid once it exited, with `status` set.
pid_t sluice_try_wait(pid_t pid, int *status);

/// Waits for the child `pid` (or any child when -1) to exit *without reaping it* (waitid
/// with WNOWAIT), blocking unless `nohang`: the pid of an exited child, 0 while none exited
/// (`nohang`), -errno on error (ECHILD: not a child, or already reaped). An exited but
/// unreaped child is a zombie that keeps its pid and its process group id reserved, so its
/// owner may still signal both without risk of hitting a process given a recycled pid; the
/// owner reaps it (``sluice_try_wait``) only afterwards.
pid_t sluice_peek_exited(pid_t pid, int nohang);

/// A pidfd for `pid` (Linux 5.3 and later), or -errno (-ENOSYS where unsupported).
int sluice_pidfd_open(pid_t pid);

/// Sends `signal` through `pidfd`: never to a process that got the pid later. 0 or -errno.
int sluice_pidfd_send_signal(int pidfd, int signal);

/// Exit status decoding (the macros are not importable into Swift).
int sluice_exited(int status);
int sluice_exit_code(int status);
int sluice_signaled(int status);
int sluice_term_signal(int status);

#endif
