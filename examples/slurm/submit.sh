#!/bin/bash
# The conversion array, then the commit as a job that starts once every task has succeeded (and is
# cancelled if one fails). Arguments go to the array's sbatch: --array=0-15%4, --partition=…
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export INPUT=${INPUT:?set INPUT} OUTPUT=${OUTPUT:?set OUTPUT}

array=$(sbatch --parsable "$@" "$here/convert-mnist.sbatch")
array=${array%%;*} # --parsable prints "id" or "id;cluster"
commit=$(sbatch --parsable --dependency="afterok:$array" --kill-on-invalid-dep=yes "$here/commit-mnist.sbatch")
echo "array job $array, commit job ${commit%%;*}"
