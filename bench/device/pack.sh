#!/usr/bin/env bash
# Packs what `pnpm bench` needs on a machine that has no Node.js and no network (the 16-core
# device machine some sessions are lent: see bench/device/README.md), into .device-kit/
# (git-ignored):
#
#   .device-kit/node.xz        this machine's `node` binary, xz-compressed (x86-64 Linux only)
#   .device-kit/node_modules/  a flat install of the runtime dependencies of the server and the
#                              client, and tsx (the bench harness is TypeScript), at the versions
#                              of the lockfile
#
# The built dist/ folders of the packages travel beside it (the run names them in `carry`);
# bench/device/run.sh, run there, unpacks and starts the bench.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [[ $(uname -sm) != "Linux x86_64" ]]; then
  echo "pack.sh: the device machine is x86-64 Linux; this is $(uname -sm)" >&2
  exit 1
fi
PNPM=(npx -y pnpm@10.34.8)

"${PNPM[@]}" exec tsc -b

kit=.device-kit
rm -rf "$kit"
mkdir -p "$kit"

# Versions as the lockfile resolved them (pnpm list), so the kit runs what the tests ran.
wanted=(tsx pino prom-client yaml node-forge undici p-retry pako)
specs=$("${PNPM[@]}" list -r --depth 0 --json | node -e '
  const wanted = new Set(process.argv.slice(1));
  const seen = new Map();
  for (const p of JSON.parse(require("fs").readFileSync(0, "utf8"))) {
    for (const [name, d] of Object.entries({ ...p.dependencies, ...p.devDependencies })) {
      if (wanted.has(name) && !seen.has(name)) seen.set(name, d.version);
    }
  }
  for (const name of wanted) if (!seen.has(name)) throw new Error(`no version of ${name} in the lockfile`);
  console.log([...seen].map(([n, v]) => `${n}@${v}`).join(" "));
' "${wanted[@]}")
echo "pack.sh: installing $specs"
# shellcheck disable=SC2086 # one word per package spec
npm install --prefix "$kit" --no-save --no-package-lock --no-audit --no-fund --omit=dev \
  --loglevel=error $specs
rm -f "$kit/package.json"

xz -T0 -6 -c "$(command -v node)" >"$kit/node.xz"
git rev-parse --short HEAD >"$kit/commit" 2>/dev/null || true

echo "pack.sh: $(du -sh "$kit" | cut -f1) in $kit ($(node --version)); the carried dist/ folders:"
du -sh packages/*/dist
