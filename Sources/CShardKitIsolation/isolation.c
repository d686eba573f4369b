#define _GNU_SOURCE
#include "shardkit_isolation.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

extern char **environ;

int shardkit_spawn_isolated_child(const char *const *extra_environment, int reply_fd, int input_fd, pid_t *pid) {
    size_t inherited = 0, extra = 0;
    while (environ && environ[inherited]) inherited++;
    while (extra_environment && extra_environment[extra]) extra++;
    char **environment = calloc(inherited + extra + 1, sizeof(char *));
    if (!environment) return ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < inherited; i++) {
        // A marker inherited from a grandparent would make the child run the wrong job.
        if (strncmp(environ[i], SHARDKIT_ISOLATED_CHILD_VARIABLE "=", strlen(SHARDKIT_ISOLATED_CHILD_VARIABLE) + 1) == 0)
            continue;
        environment[n++] = environ[i];
    }
    for (size_t i = 0; i < extra; i++) environment[n++] = (char *)extra_environment[i];
    environment[n] = NULL;

    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    int status = posix_spawn_file_actions_init(&actions);
    if (status != 0) {
        free(environment);
        return status;
    }
    status = posix_spawnattr_init(&attributes);
    if (status != 0) {
        posix_spawn_file_actions_destroy(&actions);
        free(environment);
        return status;
    }
    // dup2 clears close-on-exec on the copy; the originals are close-on-exec and vanish at exec.
    if (status == 0) status = posix_spawn_file_actions_adddup2(&actions, reply_fd, SHARDKIT_ISOLATED_REPLY_FD);
    if (status == 0 && input_fd >= 0)
        status = posix_spawn_file_actions_adddup2(&actions, input_fd, SHARDKIT_ISOLATED_INPUT_FD);
    for (int fd = 0; fd <= 2 && status == 0; fd++)
        status = posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0);
    sigset_t all, none;
    sigfillset(&all);
    sigemptyset(&none);
    if (status == 0) status = posix_spawnattr_setsigdefault(&attributes, &all);
    if (status == 0) status = posix_spawnattr_setsigmask(&attributes, &none);
    if (status == 0) status = posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    char *arguments[] = {"shardkit-isolated-child", NULL};
    if (status == 0) status = posix_spawn(pid, "/proc/self/exe", &actions, &attributes, arguments, environment);
    posix_spawnattr_destroy(&attributes);
    posix_spawn_file_actions_destroy(&actions);
    free(environment);
    return status;
}

int shardkit_cloexec_pipe(int ends[2]) { return pipe2(ends, O_CLOEXEC); }

int shardkit_memory_file(const char *name) { return memfd_create(name, MFD_CLOEXEC); }

// Runs before `main` (after the Swift runtime has registered this image, whose constructor comes
// first in the link): in an ordinary process it only reads one variable.
__attribute__((constructor)) static void shardkit_isolated_child_entry(void) {
    const char *job = getenv(SHARDKIT_ISOLATED_CHILD_VARIABLE);
    if (!job) return;
    // Die with the parent; if it died before this line, the check below sees the new parent.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    const char *parent = getenv(SHARDKIT_ISOLATED_PARENT_VARIABLE);
    if (!parent || strtol(parent, NULL, 10) != (long)getppid()) _exit(125);
    // Crash signals take their default action here even when a runtime (Swift's backtracer, a
    // sanitizer) installed handlers during start-up: the parent reports the child's death.
    int crashes[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP};
    for (size_t i = 0; i < sizeof crashes / sizeof crashes[0]; i++) signal(crashes[i], SIG_DFL);
    _exit(shardkit_isolated_child_main(job));
}
