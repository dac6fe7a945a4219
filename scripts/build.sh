#!/bin/sh
# Build the native helper and the two self-contained CLIs into bin/.
set -eu
cd "$(dirname "$0")/.."
BUN=node_modules/@oven/bun-linux-x64/bin/bun
mkdir -p bin
make -s -C native
install -m 0755 native/berth-init bin/berth-init
"$BUN" build --compile --minify --bytecode src/cli/berth.ts --outfile bin/berth >/dev/null
"$BUN" build --compile --minify --bytecode src/cli/runtime.ts --outfile bin/berth-runtime >/dev/null
echo "built bin/berth bin/berth-runtime bin/berth-init"
