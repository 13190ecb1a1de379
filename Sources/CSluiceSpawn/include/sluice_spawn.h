#ifndef SLUICE_SPAWN_H
#define SLUICE_SPAWN_H

#include <sys/types.h>

/// Starts `argv[0]` (an absolute path: searching PATH after fork is not async-signal-safe) in its own process group, with stdin from
/// /dev/null and stdout and stderr appended to `log_fd` (or inherited when -1),
/// in `directory` (or the current one when NULL), with exactly `envp`.
/// On Linux the child receives SIGKILL when the calling thread's process dies, so a
/// supervisor killed with SIGKILL leaves no orphans; call it from a thread that lives
/// as long as the process.
/// Returns the child's pid, or -errno when the program could not be started
/// (the exec error is reported through a close-on-exec pipe, so a missing program
/// fails here instead of as an exit status later).
pid_t sluice_spawn(char *const argv[], char *const envp[], const char *directory, int log_fd);

/// Non-blocking wait: 0 while running; the pid once it exited, with `status` set.
pid_t sluice_try_wait(pid_t pid, int *status);

/// Exit status decoding (the macros are not importable into Swift).
int sluice_exited(int status);
int sluice_exit_code(int status);
int sluice_signaled(int status);
int sluice_term_signal(int status);

#endif
