#!/usr/bin/env bash
# Installs the Debian packages ShardKit builds against, and any named as arguments, when any is
# missing. Idempotent and quiet when everything is present. Needs root (or sudo) only when
# something must be installed.
set -euo pipefail

# libhdf5-dev: SVHN's digitStruct.mat; libpng-dev, libjpeg-dev: image codecs; zlib1g-dev: GZIP/ZLIB
# records and .gz inputs; libssl-dev: SHA-256 for manifests (OpenSSL uses the CPU's SHA extensions);
# libopenblas-dev: the trainer's matrix products; pkg-config: SwiftPM finds all of them through it.
# libfreetype-dev, fonts-wqy-microhei, fonts-noto-cjk: contact sheets draw HWDB's characters (Glyphs).
# libarchive-dev: convert reads the archives the authors ship (.tar.gz, .zip) as streams (CShardKitArchive).
# libdeflate-dev: the fast PNG decoder inflates with libdeflate (CShardKitLibdeflate).
packages=(pkg-config zlib1g-dev libpng-dev libjpeg-dev libhdf5-dev libssl-dev libopenblas-dev
    libfreetype-dev fonts-wqy-microhei fonts-noto-cjk libarchive-dev libdeflate-dev)
# gcc-aarch64-linux-gnu, libc6-dev-arm64-cross, qemu-user: scripts/test-c-kernels.sh cross-builds
# the C kernels' tests for aarch64 and runs them under qemu-aarch64 (not needed on an arm64 host).
if [ "$(dpkg --print-architecture 2>/dev/null || true)" != arm64 ]; then
    packages+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user)
fi
# Packages named on the command line are installed too, through the same lock-waiting apt:
# scripts/test-slurm.sh asks for slurm-wlm and munge (a one-node Slurm cluster for its test).
packages+=("$@")

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if ! command -v swift >/dev/null 2>&1; then
    echo "bootstrap: 'swift' is not on PATH; install the Swift 6.1+ toolchain first." >&2
    exit 1
fi
[ ${#missing[@]} -eq 0 ] && exit 0

echo "bootstrap: installing missing Debian packages: ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
    sudo=()
elif command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
else
    echo "bootstrap: need root to install ${missing[*]}; run: apt-get install -y ${missing[*]}" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "bootstrap: no apt-get on this machine; install these by hand: ${missing[*]}" >&2
    exit 1
fi

# Another apt or dpkg (unattended upgrades, a colleague's install) may hold the package manager's
# locks: wait for it, up to BOOTSTRAP_LOCK_TIMEOUT seconds in all, then give up with a message.
lock_timeout=${BOOTSTRAP_LOCK_TIMEOUT:-300}
lock_deadline=$((SECONDS + lock_timeout))
lock_files=(/var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock /var/cache/apt/archives/lock)
last_holder=

# "PID (command)" of each process that has one of the lock files open, as fuser (psmisc) sees
# them; empty when none has or fuser is missing (apt's own lock errors are then the signal).
lock_holders() {
    command -v fuser >/dev/null 2>&1 || return 0
    local pid holders=()
    for pid in $(fuser "${lock_files[@]}" 2>/dev/null | tr -cs '0-9' '\n' | sort -un); do
        holders+=("$pid ($(ps -o args= -p "$pid" 2>/dev/null | cut -c1-100))")
    done
    [ ${#holders[@]} -eq 0 ] || (IFS=,; echo "${holders[*]}" | sed 's/,/, /g')
}

# Says once per holder that we wait; stops the bootstrap when the time is up.
waiting_for() {
    if [ $SECONDS -ge $lock_deadline ]; then
        echo "bootstrap: the apt lock is still held by $1 after ${lock_timeout} s; giving up." \
            "Wait for it to finish (or set BOOTSTRAP_LOCK_TIMEOUT) and run scripts/bootstrap.sh again." >&2
        exit 1
    fi
    if [ "$1" != "$last_holder" ]; then
        echo "bootstrap: waiting for the apt lock held by $1…" >&2
        last_holder=$1
    fi
}

# apt-get "$@", once no process holds the locks; retried while apt-get itself fails on a lock
# (someone may take it between our look and apt-get's).
apt_errors=$(mktemp)
trap 'rm -f "$apt_errors"' EXIT
apt_get() {
    local holder rc
    while :; do
        while holder=$(lock_holders) && [ -n "$holder" ]; do
            waiting_for "$holder"
            sleep 2
        done
        rc=0
        "${sudo[@]}" apt-get "$@" 2>"$apt_errors" || rc=$?
        if [ $rc -ne 0 ] && grep -qE 'Could not get lock|Unable to lock|Unable to acquire the dpkg frontend lock' "$apt_errors"; then
            holder=$(grep -oE 'held by process [0-9]+( \([^)]*\))?' "$apt_errors" | head -1 | sed 's/^held by process //')
            waiting_for "${holder:-another process}"
            sleep 5
            continue
        fi
        cat "$apt_errors" >&2
        return $rc
    done
}

export DEBIAN_FRONTEND=noninteractive
if ! apt_get update -qq; then
    echo "bootstrap: apt-get update failed; see the messages above." >&2
    exit 1
fi
if ! apt_get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
    echo "bootstrap: apt-get could not install ${missing[*]}; see the messages above." >&2
    exit 1
fi
echo "bootstrap: done"
