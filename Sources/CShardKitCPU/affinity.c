#define _GNU_SOURCE
#include "shardkit_affinity.h"

#include <sched.h>
#include <stdio.h>

/* The cgroup v2 quota as whole CPUs (quota / period, rounded up), or 0 when there is none
 * ("max") or no cgroup v2 file to read. */
static int cgroup_quota_cpus(void) {
    FILE *file = fopen("/sys/fs/cgroup/cpu.max", "r");
    if (!file) return 0;
    char quota[32] = {0};
    long period = 0;
    int fields = fscanf(file, "%31s %ld", quota, &period);
    fclose(file);
    if (fields != 2 || period <= 0 || quota[0] == 'm') return 0;
    long microseconds = 0;
    if (sscanf(quota, "%ld", &microseconds) != 1 || microseconds <= 0) return 0;
    return (int)((microseconds + period - 1) / period);
}

int shardkit_available_cpus(void) {
    int cpus = 0;
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) == 0) cpus = CPU_COUNT(&set);
    int quota = cgroup_quota_cpus();
    if (quota > 0 && (cpus == 0 || quota < cpus)) cpus = quota;
    return cpus > 0 ? cpus : 1;
}
