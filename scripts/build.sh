#!/bin/sh
# Build the native helper and the two self-contained CLIs into bin/.
set -eu
cd "$(dirname "$0")/.."
BUN=node_modules/@oven/bun-linux-x64/bin/bun
mkdir -p bin
make -s -C native
install -m 0755 native/berth-init bin/berth-init
# A standalone Bun executable would otherwise read ./.env and ./bunfig.toml (whose `preload`
# runs code) from whatever directory it is started in: never for a tool run as root.
# --compile-jit-policy: run-once start-up code stays in the interpreter (src/sys/jit.ts turns the
# normal policy back on where a command loops over much data).
FLAGS="--compile --minify --bytecode --compile-jit-policy=1000 --no-compile-autoload-dotenv --no-compile-autoload-bunfig --no-compile-autoload-tsconfig --no-compile-autoload-package-json"
"$BUN" build $FLAGS src/cli/berth.ts --outfile bin/berth >/dev/null
# berth-runtime as ES modules split per command: each command loads its own chunk, and the entry
# is small (~0.5 ms less per create+start+delete, bench/RESULTS.md). Not for berth: its unpack
# worker's entry point is lost in that layout (test/cli-hardening.test.ts).
"$BUN" build $FLAGS --format=esm --splitting src/cli/runtime.ts --outfile bin/berth-runtime >/dev/null
echo "built bin/berth bin/berth-runtime bin/berth-init"
