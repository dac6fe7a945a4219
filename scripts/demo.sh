#!/bin/sh
# The main job, on a fresh machine after set-up: run a real container from a busybox rootfs
# (Debian's busybox-static) with berth-runtime, showing it is isolated.
set -eu
cd "$(dirname "$0")/.."
B=$(mktemp -d /tmp/berth-demo.XXXXXX)
trap 'rm -rf "$B"' EXIT
mkdir -p "$B/rootfs/bin"
cp /bin/busybox "$B/rootfs/bin/"
for a in sh echo hostname ps cat id ls; do ln -sf busybox "$B/rootfs/bin/$a"; done
bin/berth-runtime spec --bundle "$B"
sed -i 's/"terminal": true/"terminal": false/; s/^\(\t*\)"sh"$/\1"sh", "-c", "echo hello from $(hostname), I am pid $$, uid $(id -u); ps"/' "$B/config.json"
cd "$B" && "$OLDPWD/bin/berth-runtime" --root "$B/state" run "demo-$$"
