#!/bin/sh
# One-shot set-up on a fresh Debian 12 machine, as root: system packages, npm dependencies,
# the native helper and the CLIs. Safe to run again.
set -eu
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
PKGS="$(command -v npm >/dev/null 2>&1 || echo nodejs npm) build-essential libc6-dev python3 libdeflate0 busybox-static runc containerd docker-registry containernetworking-plugins iptables uidmap iproute2 ca-certificates"
missing=""
for p in $PKGS; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"; done
if [ -n "$missing" ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
# the registry package starts a system service on port 5000; berth's tests run their own
if command -v systemctl >/dev/null 2>&1; then systemctl disable --now docker-registry >/dev/null 2>&1 || true; fi
if [ ! -x node_modules/@oven/bun-linux-x64/bin/bun ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
sh scripts/build.sh
