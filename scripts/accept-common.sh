# Sourced by the acceptance scripts (accept.sh, accept-real-mnist.sh): the binary to run and the
# helpers that read and judge `shardkit eval` output. Expects to run from the repository root.
if [ -z "${SHARDKIT_BIN:-}" ]; then
    swift build -c release --product shardkit >/dev/null
    SHARDKIT_BIN=.build/release/shardkit
fi
bin=$SHARDKIT_BIN

# Prints the named accuracy (e.g. "top-1", "sequence") from `shardkit eval` output.
accuracy() { sed -n "s/^  $1 accuracy \([0-9.]*\)%$/\1/p" "$2"; }
# 0 if $1 >= $2 (decimal).
at_least() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.0f", b - a }'; }
