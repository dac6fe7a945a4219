#!/bin/sh
# The main job, on a fresh machine after set-up: make a busybox image from Debian's
# busybox-static (no registry needed), then run containers with berth as a Docker user would,
# and once more through the low-level runtime (berth-runtime, runc's command line).
set -eu
cd "$(dirname "$0")/.."
T=$(mktemp -d /tmp/berth-demo.XXXXXX)
trap 'rm -rf "$T"' EXIT

if ! bin/berth image inspect busybox:latest >/dev/null 2>&1; then
  scripts/bun -e "import { busyboxLayer } from './test/fixtures/images.ts'; await Bun.write('$T/busybox.tar', busyboxLayer());"
  bin/berth import "$T/busybox.tar" busybox:latest >/dev/null
  echo "imported busybox:latest from /bin/busybox"
fi

echo '$ berth run --rm --network none busybox sh -c "echo hello from $(hostname), pid $$; id"'
bin/berth run --rm --network none busybox sh -c 'echo hello from $(hostname), pid $$; id'
echo '$ berth run -d --name demo-web --memory 64m busybox sleep 300 && berth exec demo-web ps'
bin/berth rm -f demo-web >/dev/null 2>&1 || true
bin/berth run -d --name demo-web --memory 64m --network none busybox sleep 300 >/dev/null
bin/berth exec demo-web ps
bin/berth ps --filter name=demo-web
bin/berth rm -f demo-web >/dev/null

echo '$ berth-runtime run (an OCI bundle, runc-style)'
mkdir -p "$T/bundle/rootfs/bin"
cp /bin/busybox "$T/bundle/rootfs/bin/"
for a in sh echo hostname ps id; do ln -sf busybox "$T/bundle/rootfs/bin/$a"; done
bin/berth-runtime spec --bundle "$T/bundle"
sed -i 's/"terminal": true/"terminal": false/; s/^\(\t*\)"sh"$/\1"sh", "-c", "echo hello from $(hostname), pid $$, uid $(id -u)"/' "$T/bundle/config.json"
bin/berth-runtime --root "$T/state" run --bundle "$T/bundle" "demo-$$"
