#!/usr/bin/env bash
# Runs `pnpm bench` on a machine with no Node.js and no network, from what bench/device/pack.sh
# packed (see bench/device/README.md). Usage, from the repository root over there:
#
#   bash bench/device/run.sh <results dir> [bench flags, e.g. --only=route --workers=1,2,4,8]
#
# It unpacks node into /tmp, makes .device-kit/node_modules the repository's node_modules (with
# the workspace packages linked in, as pnpm would), prints the machine, and runs bench/run.mjs
# with the flags given, writing its results to <results dir>.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:?usage: run.sh <results dir> [bench flags]}
shift
kit=.device-kit
[[ -f $kit/node.xz && -d $kit/node_modules ]] || {
  echo "run.sh: no $kit here: run bench/device/pack.sh first, and carry $kit" >&2
  exit 1
}

bin=/tmp/ns-device-node
mkdir -p "$bin"
if [[ ! -x $bin/node ]]; then
  if command -v xz >/dev/null 2>&1; then
    xz -dc "$kit/node.xz" >"$bin/node.part"
  else
    # No xz there: Python's lzma reads the same format.
    python3 -c 'import lzma, shutil, sys
with lzma.open(sys.argv[1]) as src, open(sys.argv[2], "wb") as dst: shutil.copyfileobj(src, dst)' \
      "$kit/node.xz" "$bin/node.part"
  fi
  chmod +x "$bin/node.part"
  mv "$bin/node.part" "$bin/node"
fi
export PATH="$bin:$PATH"

[[ -e node_modules ]] || ln -s "$kit/node_modules" node_modules
# Every time, not only with the first link: a run stopped between the two must not leave the
# workspace packages unlinked.
mkdir -p "$kit/node_modules/@ns"
for p in packages/*/; do
  name=$(basename "$p")
  ln -sfn "../../../packages/$name" "$kit/node_modules/@ns/$name"
done
for p in protocol server console client; do
  [[ -d packages/$p/dist ]] || {
    echo "run.sh: packages/$p/dist is missing: carry it (see bench/device/README.md)" >&2
    exit 1
  }
done

[[ -f $kit/commit ]] && export BENCH_COMMIT="$(cat "$kit/commit")"
echo "run.sh: node $(node --version), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
mkdir -p "$out"
started=$SECONDS
status=0
node bench/run.mjs --out="$out" "$@" || status=$?
echo "run.sh: bench exited $status after $((SECONDS - started)) s"
exit "$status"
