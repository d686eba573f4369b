#define _GNU_SOURCE
#include "shardkit_isolation.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <pthread.h>
#include <unistd.h>

extern char **environ;

/// Whether `entry` ("NAME=value") sets a variable that one of `overrides` sets too.
static int overridden(const char *entry, const char *const *overrides) {
    const char *equals = strchr(entry, '=');
    size_t length = equals ? (size_t)(equals - entry) : strlen(entry);
    for (size_t i = 0; overrides && overrides[i]; i++) {
        if (strncmp(overrides[i], entry, length) == 0 && overrides[i][length] == '=') return 1;
    }
    return 0;
}

int shardkit_spawn_isolated_child(const char *const *extra_environment, int reply_fd, int input_fd, pid_t *pid) {
    size_t inherited = 0, extra = 0;
    while (environ && environ[inherited]) inherited++;
    while (extra_environment && extra_environment[extra]) extra++;
    char **environment = calloc(inherited + extra + 1, sizeof(char *));
    if (!environment) return ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < inherited; i++) {
        // getenv returns the first match: an inherited value (a user's OPENBLAS_NUM_THREADS, a
        // marker left by a grandparent) would hide the child's own.
        if (strncmp(environ[i], SHARDKIT_ISOLATED_CHILD_VARIABLE "=", strlen(SHARDKIT_ISOLATED_CHILD_VARIABLE) + 1) == 0)
            continue;
        if (overridden(environ[i], extra_environment)) continue;
        environment[n++] = environ[i];
    }
    for (size_t i = 0; i < extra; i++) environment[n++] = (char *)extra_environment[i];
    environment[n] = NULL;

    // The file actions run in order: were the input at descriptor 3, moving the reply pipe there
    // first would replace it. Copies at 5 and above (close-on-exec) cannot collide with 3 or 4.
    int reply = fcntl(reply_fd, F_DUPFD_CLOEXEC, 5);
    int input = input_fd >= 0 ? fcntl(input_fd, F_DUPFD_CLOEXEC, 5) : -1;
    if (reply < 0 || (input_fd >= 0 && input < 0)) {
        int failure = errno;
        if (reply >= 0) close(reply);
        if (input >= 0) close(input);
        free(environment);
        return failure;
    }

    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    int status = posix_spawn_file_actions_init(&actions);
    if (status == 0) {
        status = posix_spawnattr_init(&attributes);
        if (status != 0) posix_spawn_file_actions_destroy(&actions);
    }
    if (status != 0) {
        close(reply);
        if (input >= 0) close(input);
        free(environment);
        return status;
    }
    // dup2 clears close-on-exec on the copy; the originals are close-on-exec and vanish at exec.
    status = posix_spawn_file_actions_adddup2(&actions, reply, SHARDKIT_ISOLATED_REPLY_FD);
    if (status == 0 && input >= 0) status = posix_spawn_file_actions_adddup2(&actions, input, SHARDKIT_ISOLATED_INPUT_FD);
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
    close(reply);
    if (input >= 0) close(input);
    free(environment);
    return status;
}

int shardkit_cloexec_pipe(int ends[2]) { return pipe2(ends, O_CLOEXEC); }

int shardkit_memory_file(const char *name) { return memfd_create(name, MFD_CLOEXEC); }

/// The parent that started this child, watched by `watch_parent`.
static pid_t expected_parent;

/// Ends the child within a second of its parent's end. (PR_SET_PDEATHSIG would be quicker, but
/// it fires when the *thread* that started the child ends, and the thread that opened a reader
/// may well end before the reader does.)
static void *watch_parent(void *unused) {
    (void)unused;
    for (;;) {
        if (getppid() != expected_parent) _exit(SHARDKIT_ISOLATED_ORPHANED);
        sleep(1);
    }
    return NULL;
}

// Runs before `main` (after the Swift runtime has registered this image, whose constructor comes
// first in the link): in an ordinary process it only reads one variable.
__attribute__((constructor)) static void shardkit_isolated_child_entry(void) {
    const char *job = getenv(SHARDKIT_ISOLATED_CHILD_VARIABLE);
    if (!job) return;
    const char *parent = getenv(SHARDKIT_ISOLATED_PARENT_VARIABLE);
    expected_parent = parent ? (pid_t)strtol(parent, NULL, 10) : 0;
    if (expected_parent <= 0 || expected_parent != getppid()) _exit(SHARDKIT_ISOLATED_ORPHANED);
    pthread_t watcher;
    if (pthread_create(&watcher, NULL, watch_parent, NULL) != 0) _exit(SHARDKIT_ISOLATED_ORPHANED);
    pthread_detach(watcher);
    // Crash signals take their default action here even when a runtime (Swift's backtracer, a
    // sanitizer) installed handlers during start-up: the parent reports the child's death.
    int crashes[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP};
    for (size_t i = 0; i < sizeof crashes / sizeof crashes[0]; i++) signal(crashes[i], SIG_DFL);
    _exit(shardkit_isolated_child_main(job));
}
