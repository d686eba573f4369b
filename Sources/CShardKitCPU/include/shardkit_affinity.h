#ifndef SHARDKIT_AFFINITY_H
#define SHARDKIT_AFFINITY_H

/// The CPUs this process may run on: the CPUs of its affinity mask (what a Slurm task bound
/// with --cpus-per-task or `taskset` gets), capped by the cgroup v2 CPU quota in
/// /sys/fs/cgroup/cpu.max rounded up (what a container's CPU limit sets). At least 1.
int shardkit_available_cpus(void);

#endif
