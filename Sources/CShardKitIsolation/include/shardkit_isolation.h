#pragma once
// Child processes that run this same executable again, for work that must not share the parent's
// address space (libhdf5 on untrusted files). A plain `fork` of a multi-threaded process is not
// enough: the child inherits locks that other threads held at that moment (the Swift runtime's,
// the dynamic loader's, Foundation's) and can wait on them forever, as a CI run showed. So the
// child is `posix_spawn`ed from /proc/self/exe, and a constructor in this target, which runs
// before the executable's `main` in every program that links Formats (the tool, the test runner,
// the fuzz harnesses), sees the marker variable and runs the child's work instead of `main`.
#include <sys/types.h>

/// The environment variable that marks a process as an isolated child; its value names the job.
#define SHARDKIT_ISOLATED_CHILD_VARIABLE "SHARDKIT_ISOLATED_CHILD"
/// The parent's pid: a child whose parent is gone (at its start, or later) exits.
#define SHARDKIT_ISOLATED_PARENT_VARIABLE "SHARDKIT_ISOLATED_PARENT"
/// The descriptor the child writes its replies to.
#define SHARDKIT_ISOLATED_REPLY_FD 3
/// The descriptor the child reads its input from (when the parent passes one), or closed.
#define SHARDKIT_ISOLATED_INPUT_FD 4

/// A child's exit statuses that are not about the file: its parent was gone,
/// its environment did not name a job it knows, or its input descriptor could not be read.
#define SHARDKIT_ISOLATED_ORPHANED 125
#define SHARDKIT_ISOLATED_BAD_REQUEST 124
#define SHARDKIT_ISOLATED_UNREADABLE_INPUT 123

/// Starts this executable again as a child: `extra_environment` (NULL-terminated "NAME=value"
/// strings) is added to this process's environment, `reply_fd` becomes the child's descriptor 3,
/// `input_fd` (or -1) its descriptor 4, and 0, 1 and 2 are /dev/null; a variable set in
/// `extra_environment` replaces an inherited one of the same name. Every signal starts at its
/// default action, with none blocked. Returns 0 and the pid, or an errno value.
int shardkit_spawn_isolated_child(const char *const *extra_environment, int reply_fd, int input_fd, pid_t *pid);

/// `pipe2` with O_CLOEXEC: neither end leaks into children (only the end passed to
/// `shardkit_spawn_isolated_child` is given to its child). 0, or -1 and errno.
int shardkit_cloexec_pipe(int ends[2]);

/// An anonymous in-memory file (`memfd_create`, close-on-exec), or -1 and errno.
int shardkit_memory_file(const char *name);

/// Implemented in Swift (Formats): runs the job named by the marker variable, whose value is
/// `job`, and returns the child's exit status. Called by this target's constructor only.
int shardkit_isolated_child_main(const char *job);
