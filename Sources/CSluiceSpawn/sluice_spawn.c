#define _GNU_SOURCE
#include "sluice_spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

pid_t sluice_spawn(char *const argv[], char *const envp[], const char *directory, int log_fd) {
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
#ifdef __linux__
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) error = errno;
        // The parent may have died between fork and prctl.
        if (error == 0 && getppid() != parent) _exit(127);
#endif
        if (error == 0 && setpgid(0, 0) != 0) error = errno;
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        for (int sig = 1; sig < 32; sig++) {
            if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &dfl, NULL);
        }
        int null_fd = open("/dev/null", O_RDONLY);
        if (error == 0 && null_fd >= 0) dup2(null_fd, 0);
        if (error == 0 && log_fd >= 0) {
            dup2(log_fd, 1);
            dup2(log_fd, 2);
        }
        if (error == 0 && directory != NULL && chdir(directory) != 0) error = errno;
        if (error == 0) {
            execve(argv[0], argv, envp);
            error = errno;
        }
        ssize_t ignored = write(report[1], &error, sizeof error);
        (void)ignored;
        _exit(127);
    }
    close(report[1]);
    int child_error = 0;
    ssize_t got;
    do {
        got = read(report[0], &child_error, sizeof child_error);
    } while (got < 0 && errno == EINTR);
    close(report[0]);
    if (got == (ssize_t)sizeof child_error) {
        int status;
        waitpid(pid, &status, 0);
        return -child_error;
    }
    return pid;
}

pid_t sluice_try_wait(pid_t pid, int *status) {
    pid_t result;
    do {
        result = waitpid(pid, status, WNOHANG);
    } while (result < 0 && errno == EINTR);
    return result;
}

int sluice_exited(int status) { return WIFEXITED(status); }
int sluice_exit_code(int status) { return WEXITSTATUS(status); }
int sluice_signaled(int status) { return WIFSIGNALED(status); }
int sluice_term_signal(int status) { return WTERMSIG(status); }
