#!/bin/sh
# Debian's dockerd running containers with berth-runtime (`docker run --runtime=berth`):
# a private dockerd (own data root, socket, no bridge/iptables), an image imported from a
# busybox rootfs, then the checks. Everything it starts is stopped and removed at the end.
set -u
REPO=$(cd "$(dirname "$0")/../.." && pwd)
. "$REPO/scripts/integration/common.sh"
command -v dockerd >/dev/null || PATH=$PATH:/usr/sbin
command -v dockerd >/dev/null || { echo "dockerd missing (apt-get install docker.io)"; echo "0 passed, 1 failed"; exit 2; }
W=$(mktemp -d /tmp/berth-dockerd.XXXXXX)
D="/usr/bin/docker -H unix://$W/docker.sock"
cleanup() {
  $D ps -aq 2>/dev/null | xargs -r $D rm -f >/dev/null 2>&1
  [ -f "$W/docker.pid" ] && kill "$(cat "$W/docker.pid")" 2>/dev/null
  for _ in $(seq 50); do [ -f "$W/docker.pid" ] && kill -0 "$(cat "$W/docker.pid")" 2>/dev/null || break; sleep 0.2; done
  grep " $W" /proc/self/mountinfo | awk '{print $5}' | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
  rm -rf "$W"
}
trap cleanup EXIT
# a wrapper that records each call, to prove the containers really ran on berth-runtime
cat > "$W/berth-runtime" <<SH
#!/bin/sh
echo "\$*" >> "$W/calls"
exec "$REPO/bin/berth-runtime" "\$@"
SH
chmod +x "$W/berth-runtime"
cat > "$W/daemon.json" <<JSON
{
  "runtimes": { "berth": { "path": "$W/berth-runtime" } },
  "bridge": "none", "iptables": false, "ip-masq": false, "ip-forward": false,
  "exec-opts": ["native.cgroupdriver=cgroupfs"],
  "data-root": "$W/data", "exec-root": "$W/exec", "pidfile": "$W/docker.pid",
  "hosts": ["unix://$W/docker.sock"], "containerd-namespace": "berth-it", "log-level": "warn"
}
JSON
dockerd --config-file "$W/daemon.json" >"$W/dockerd.log" 2>&1 &
for _ in $(seq 100); do $D version >/dev/null 2>&1 && break; sleep 0.2; done
$D version >/dev/null 2>&1 || { tail -20 "$W/dockerd.log"; echo "0 passed, 1 failed"; exit 2; }
busybox_tar "$W/rootfs.tar"
$D import "$W/rootfs.tar" busybox:berth >/dev/null
R="--runtime=berth --network none"

check docker_run_echo "hello-berth" "$($D run --rm $R busybox:berth echo hello-berth 2>&1)"
$D run --rm $R busybox:berth sh -c 'exit 7' >/dev/null 2>&1
check docker_exit_code 7 "$?"
check docker_pid1 1 "$($D run --rm $R busybox:berth sh -c 'echo $$' 2>&1)"
check docker_env_user_cwd "x:1000:/tmp" "$($D run --rm $R -e V=x -u 1000 -w /tmp busybox:berth sh -c 'echo $V:$(id -u):$(pwd)' 2>&1)"
check docker_memory_limit 33554432 "$($D run --rm $R -m 32m busybox:berth cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>&1)"
id=$($D run -d $R busybox:berth sh -c 'echo to-the-log; trap "exit 3" TERM; while :; do sleep 0.1; done')
sleep 0.5
check docker_running true "$($D inspect -f '{{.State.Running}}' "$id" 2>&1)"
check docker_exec "exec-ok" "$($D exec "$id" echo exec-ok 2>&1)"
check docker_logs "to-the-log" "$($D logs "$id" 2>&1)"
$D stop -t 5 "$id" >/dev/null 2>&1
check docker_stop_exit_code 3 "$($D inspect -f '{{.State.ExitCode}}' "$id" 2>&1)"
$D rm "$id" >/dev/null 2>&1
for verb in create start exec kill delete; do
  check "berth_runtime_called_$verb" yes "$(grep -q " $verb " "$W/calls" 2>/dev/null && echo yes || echo no)"
done
summary
