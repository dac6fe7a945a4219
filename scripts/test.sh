#!/bin/sh
# Build, then run every suite under test/ with Bun's runner (node:test-style suites).
# Ends with one plain line: "N passed, N failed". Extra args go to `bun test` (e.g. a file filter).
set -u
cd "$(dirname "$0")/.."
sh scripts/build.sh || { echo "0 passed, 1 failed (build)"; exit 1; }
out=$(mktemp)
scripts/bun test --timeout 120000 "$@" 2>&1 | tee "$out"
pass=$(sed -n 's/^ *\([0-9][0-9]*\) pass$/\1/p' "$out" | tail -1)
fail=$(sed -n 's/^ *\([0-9][0-9]*\) fail$/\1/p' "$out" | tail -1)
errs=$(grep -c '^error: ' "$out" || true)
rm -f "$out"
pass=${pass:-0}; fail=${fail:-0}
[ "$pass" -gt 0 ] || fail=$((fail + 1))
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
