#!/usr/bin/env bash
# A real Slurm cluster of one node, on this machine, runs examples/slurm/ as a user would: the
# conversion as a job array (each task a worker that finds its slot in SLURM_ARRAY_TASK_ID & co.),
# then `shardkit commit` as a job that depends on the array (afterok). The committed folder must be
# byte for byte what one process writes. Arrays: 0-3%2 (the example's own), 1-3 (does not start at
# 0), 0-6:2 (a step); and an array whose tasks fail, whose commit Slurm must then never run.
#
# Installs Debian's slurm-wlm and munge when missing (through scripts/bootstrap.sh, which waits for
# the apt lock). Starts munged, slurmctld and slurmd itself, as plain processes (no systemd), with
# its own munge key, socket, ports, config and spool in a temporary folder, so it touches no system
# Slurm or munge; stops them by their PIDs when it ends, passed or failed. Needs root (jobs run as
# the SlurmUser, root). SHARDKIT_BIN: the binary under test; default: a release build, made here.
# SHARDKIT_SLURM_KEEP=1 keeps the cluster's folder (config, logs, job outputs) after a pass too;
# after a failure it is always kept.
#
#   scripts/test-slurm.sh                     # alone
#   SHARDKIT_BIN=.build/debug/shardkit scripts/test-slurm.sh   # as scripts/test.sh runs it
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

passed=0
pids=()     # the daemons we started, last one first when stopping
work=
failed=

now() { echo "${EPOCHREALTIME/,/.}"; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
say() { echo "test-slurm: $*"; }
fail() {
    failed=$*
    exit 1
}

# The environment of a Slurm job or an Indexed Job we may be running inside must not leak into the
# cluster we start, nor make the reference conversion a worker.
for name in $(compgen -e | grep -E '^(SLURM_|SBATCH_|SALLOC_|SRUN_|SQUEUE_|SINFO_|SCONTROL_)' || true); do
    unset "$name"
done
unset JOB_COMPLETION_INDEX

cleanup() {
    local rc=$? pid i
    set +e
    if [ -n "$work" ] && [ -f "$work/slurm.conf" ] && [ ${#pids[@]} -gt 1 ]; then
        # Jobs still queued or running (a failed check, a timeout) go first, so no job step
        # outlives the daemons.
        scancel --quiet --full $(squeue -h -o %A 2>/dev/null | sort -u) 2>/dev/null
        for _ in $(seq 20); do [ -z "$(squeue -h 2>/dev/null)" ] && break; sleep 0.5; done
    fi
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
        pid=${pids[i]}
        kill "$pid" 2>/dev/null || continue
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null && echo "test-slurm: process $pid ignored SIGTERM; killed it" >&2
        wait "$pid" 2>/dev/null
    done
    if [ $rc -eq 0 ]; then
        if [ -n "${SHARDKIT_SLURM_KEEP:-}" ]; then say "kept $work"; elif [ -n "$work" ]; then rm -rf "$work"; fi
        say "PASS"
        echo "slurm: $passed passed, 0 failed"
    else
        say "FAIL: ${failed:-exit $rc}"
        if [ -n "$work" ] && [ -d "$work/log" ]; then
            for f in "$work"/log/*.log; do
                [ -s "$f" ] && { echo "--- last lines of $f"; tail -n 15 "$f"; }
            done
            echo "test-slurm: everything is kept in $work"
        fi
        echo "slurm: $passed passed, 1 failed"
    fi
    exit $rc
}
trap cleanup EXIT
trap 'failed="interrupted"; exit 130' INT TERM

# ---- install ------------------------------------------------------------------------------------
t=$(now)
tools=(munged mungekey slurmctld slurmd sbatch squeue sinfo scontrol scancel)
case :$PATH: in *:/usr/sbin:*) ;; *) export PATH=$PATH:/usr/sbin ;; esac
missing=0
for tool in "${tools[@]}"; do command -v "$tool" >/dev/null || missing=1; done
if [ $missing -eq 1 ]; then
    [ "$(id -u)" -eq 0 ] || fail "slurm-wlm and munge are missing and installing them needs root"
    scripts/bootstrap.sh slurm-wlm munge || fail "could not install slurm-wlm and munge (see above)"
fi
for tool in "${tools[@]}"; do command -v "$tool" >/dev/null || fail "$tool is not on PATH after installing slurm-wlm and munge"; done
say "slurm-wlm $(slurmctld -V | awk '{print $2}'), munge $(munged -V | awk '{print $1}' | sed 's/munge-//'): $( [ $missing -eq 1 ] && echo installed || echo already there) in $(since "$t") s"
[ "$(id -u)" -eq 0 ] || fail "this test runs its one-node cluster with SlurmUser=root: run it as root"

# ---- the binary under test ----------------------------------------------------------------------
t=$(now)
if [ -n "${SHARDKIT_BIN:-}" ]; then
    bin=$SHARDKIT_BIN
else
    swift build -c release --product shardkit >/dev/null || fail "swift build -c release failed"
    bin=.build/release/shardkit
fi
[ -x "$bin" ] || fail "no shardkit binary at $bin"
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
say "binary $bin ($(since "$t") s)"

# ---- the cluster --------------------------------------------------------------------------------
t=$(now)
work=$(mktemp -d /tmp/shardkit-slurm.XXXXXX)
# munged wants every folder above its socket searchable by all and writable by none but root.
chmod 755 "$work"
mkdir -p "$work"/{munge,state,spool,log}
chmod 755 "$work/munge"
export SLURM_CONF=$work/slurm.conf

# A fresh key for this cluster only: the system's /etc/munge/munge.key is neither read nor made.
# (grep -q would stop reading early: under pipefail the writer's SIGPIPE fails the pipeline.)
if mungekey --help 2>&1 | grep -- --keyfile >/dev/null; then
    mungekey --create --keyfile="$work/munge/munge.key"
else
    dd if=/dev/urandom of="$work/munge/munge.key" bs=1024 count=1 status=none
fi
chmod 600 "$work/munge/munge.key"
munged --foreground --socket="$work/munge/munge.sock" --key-file="$work/munge/munge.key" \
    --pid-file="$work/munge/munged.pid" --seed-file="$work/munge/munged.seed" \
    --log-file="$work/log/munged.log" 2>>"$work/log/munged.log" &
pids+=($!)
for _ in $(seq 50); do [ -S "$work/munge/munge.sock" ] && break; sleep 0.1; done
munge -S "$work/munge/munge.sock" -n 2>/dev/null | unmunge -S "$work/munge/munge.sock" >/dev/null 2>&1 ||
    fail "munged did not start: see $work/log/munged.log"

# Two free TCP ports on the loopback for slurmctld and slurmd (a system Slurm may own 6817/6818).
free_port() {
    local p
    for ((p = $1; p < $1 + 200; p++)); do
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
    done
}
ctld_port=$(free_port 16817)
slurmd_port=$(free_port $((ctld_port + 1)))
[ -n "$ctld_port" ] && [ -n "$slurmd_port" ] || fail "no free TCP ports from 16817 on"

# This node as slurmd sees it (CPUs, sockets, cores, threads, memory), so Slurm never drains it
# for claiming more than it has.
node=$(slurmd -C | head -1)
case $node in NodeName=*) ;; *) fail "slurmd -C did not describe this node: $node" ;; esac
host=$(hostname -s)
cat >"$SLURM_CONF" <<EOF
# One-node cluster for scripts/test-slurm.sh (made at $(date -u +%FT%TZ)).
ClusterName=shardkit-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
# CI runs as root and there is no slurm user to switch to.
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$work/munge/munge.sock
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# No systemd and no cgroup hierarchy to delegate here: track job processes through /proc and
# bind no tasks to CPUs.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$work/log/jobcomp.txt
MpiDefault=none
MailProg=/bin/true
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/builtin
# Start a job as soon as a CPU frees up or a dependency is met, not on the next periodic pass.
SchedulerParameters=batch_sched_delay=0
ReturnToService=2
# A job whose dependency can never be met (an array task failed) is cancelled, not left pending.
DependencyParameters=kill_invalid_depend
# Finished jobs stay visible to scontrol for the checks below.
MinJobAge=600
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF

slurmctld -D -f "$SLURM_CONF" >>"$work/log/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" >>"$work/log/slurmd.out" 2>&1 &
pids+=($!)
state=
for _ in $(seq 120); do
    kill -0 "${pids[1]}" 2>/dev/null || fail "slurmctld exited at start: $(tail -n 3 "$work/log/slurmctld.log" "$work/log/slurmctld.out" 2>/dev/null | grep -i -m1 -E 'fatal|error' || echo 'see its log')"
    kill -0 "${pids[2]}" 2>/dev/null || fail "slurmd exited at start: $(tail -n 3 "$work/log/slurmd.log" "$work/log/slurmd.out" 2>/dev/null | grep -i -m1 -E 'fatal|error' || echo 'see its log')"
    state=$(sinfo -h -N -n "$host" -o %T 2>/dev/null || true)
    [ "$state" = idle ] && break
    sleep 0.25
done
[ "$state" = idle ] || fail "node $host is '${state:-not reported}' after 30 s, not idle (sinfo -R: $(sinfo -h -R 2>/dev/null))"
say "cluster up in $(since "$t") s: $node; slurmctld :$ctld_port, slurmd :$slurmd_port"
passed=$((passed + 1))

# ---- jobs ---------------------------------------------------------------------------------------
reference=$work/reference
"$bin" convert mnist --input "$root/Fixtures/mnist" --output "$reference" --shards 4 --quiet >/dev/null ||
    fail "the one-process reference conversion failed"

# JobState of a job (the first line: an array's tasks share the array's id).
job_states() { scontrol show job -o "$1" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2; }

# Waits until job $1 has ended (up to $2 s); prints its final state.
wait_for_job() {
    local s deadline=$((SECONDS + $2))
    while [ $SECONDS -lt "$deadline" ]; do
        s=$(job_states "$1" | head -1)
        case $s in
            COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY | BOOT_FAIL | DEADLINE | PREEMPTED)
                echo "$s"; return ;;
        esac
        sleep 0.5
    done
    echo "still ${s:-unknown} after $2 s"
}

# Submits examples/slurm/submit.sh with sbatch arguments "$@" from a folder of its own (the jobs'
# output files land there); sets array_job and commit_job.
submit() {
    local out
    out=$(cd "$case_dir" && INPUT=$input OUTPUT=$case_dir/out SHARDKIT=$bin "$root/examples/slurm/submit.sh" "$@") ||
        fail "examples/slurm/submit.sh $* failed: $out"
    array_job=$(sed -n 's/^array job \([0-9]*\), commit job \([0-9]*\)$/\1/p' <<<"$out")
    commit_job=$(sed -n 's/^array job \([0-9]*\), commit job \([0-9]*\)$/\2/p' <<<"$out")
    [ -n "$array_job" ] && [ -n "$commit_job" ] || fail "unexpected answer from submit.sh: $out"
}

# One array spec: submit, wait for the commit, check every task, its log, and the bytes.
# $1: the --array spec (empty: the example's own #SBATCH --array=0-3%2); $2: the task ids.
run_case() {
    local spec=$1 tasks=$2 t state task log n
    t=$(now)
    case_dir=$work/case-${spec:-default}
    case_dir=${case_dir//[:%]/_}
    mkdir -p "$case_dir"
    input=$root/Fixtures/mnist
    if [ -n "$spec" ]; then submit "--array=$spec"; else submit; fi
    state=$(wait_for_job "$commit_job" 300)
    local label=${spec:-0-3%2}
    [ "$state" = COMPLETED ] || fail "array $label: the commit job $commit_job is $state; array tasks: $(job_states "$array_job" | sort | uniq -c | xargs)"
    n=0
    for state in $(job_states "$array_job"); do
        [ "$state" = COMPLETED ] || fail "array $label: a task of job $array_job is $state"
        n=$((n + 1))
    done
    [ $n -eq $(wc -w <<<"$tasks") ] || fail "array $label: $n tasks ran, not $(wc -w <<<"$tasks")"
    for task in $tasks; do
        log=$case_dir/shardkit-convert-mnist-${array_job}_$task.out
        [ -f "$log" ] || fail "array $label: no output file $log"
        grep -q "from SLURM_ARRAY_TASK_ID=$task " "$log" ||
            fail "array $label: task $task did not take its slot from SLURM_ARRAY_TASK_ID: $(head -c 400 "$log")"
    done
    diff -r "$reference" "$case_dir/out" >"$case_dir/diff.txt" 2>&1 ||
        fail "array $label: the committed folder differs from one process's: $(head -n 5 "$case_dir/diff.txt")"
    say "array ${spec:-0-3%2} (tasks $tasks) + commit: byte-identical to one process, $(since "$t") s from submit to commit done"
    passed=$((passed + 1))
}

run_case "" "0 1 2 3"
# The throttle in the example's #SBATCH line reached Slurm.
scontrol show job -o "$array_job" | grep 'ArrayTaskThrottle=2' >/dev/null || fail "the array did not keep %2 from convert-mnist.sbatch"
run_case "1-3" "1 2 3"
run_case "0-6:2" "0 2 4 6"

# Tasks that fail (no such input): Slurm never runs the commit, and nothing looks finished.
t=$(now)
case_dir=$work/case-failing
mkdir -p "$case_dir"
input=$work/no-such-input
submit --array=0-1
state=$(wait_for_job "$commit_job" 120)
[ "$state" = CANCELLED ] || fail "after failed array tasks the commit job is $state, not CANCELLED"
for state in $(job_states "$array_job"); do
    [ "$state" = FAILED ] || fail "a task converting a missing input is $state, not FAILED"
done
grep -q 'ExitCode=66:0' <(scontrol show job -o "$array_job") || fail "a task converting a missing input did not exit 66"
[ ! -e "$case_dir/out/manifest.json" ] || fail "a manifest was written although every task failed"
[ ! -e "$case_dir/shardkit-commit-mnist-$commit_job.out" ] || fail "the commit job ran although its dependency failed"
say "failing array: tasks FAILED (exit 66), commit CANCELLED without running, no manifest ($(since "$t") s)"
passed=$((passed + 1))
