#!/usr/bin/env bash
# Installs the Debian packages ShardKit builds against, when any is missing. Idempotent and quiet
# when everything is present. Needs root (or sudo) only when something must be installed.
set -euo pipefail

# libhdf5-dev: SVHN's digitStruct.mat; libpng-dev, libjpeg-dev: image codecs; zlib1g-dev: GZIP/ZLIB
# records and .gz inputs; libssl-dev: SHA-256 for manifests (OpenSSL uses the CPU's SHA extensions);
# libopenblas-dev: the trainer's matrix products; pkg-config: SwiftPM finds all of them through it.
packages=(pkg-config zlib1g-dev libpng-dev libjpeg-dev libhdf5-dev libssl-dev libopenblas-dev)

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
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
if ! "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
    echo "bootstrap: apt-get could not install ${missing[*]}; see the messages above." >&2
    exit 1
fi
echo "bootstrap: done"
