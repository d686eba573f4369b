import CShardKitCPU

/// How many CPUs this process may actually use, which `ProcessInfo.activeProcessorCount` does not
/// say on Linux (it counts the machine's): the affinity mask a Slurm task or `taskset` binds it
/// to, capped by a container's cgroup CPU quota. Read once.
package enum AvailableCPUs {
    package static let count: Int = Int(shardkit_available_cpus())
}
