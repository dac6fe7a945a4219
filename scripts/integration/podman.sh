#!/bin/sh
# Podman running containers with berth-runtime (`podman --runtime …/berth-runtime run`):
# private storage, a containers.conf for this host (cgroupfs, file events, ulimits the VM
# allows), an image imported from a busybox rootfs, then the checks.
set -u
REPO=$(cd "$(dirname "$0")/../.." && pwd)
. "$REPO/scripts/integration/common.sh"
command -v podman >/dev/null || { echo "podman missing (apt-get install podman)"; echo "0 passed, 1 failed"; exit 2; }
W=$(mktemp -d /tmp/berth-podman.XXXXXX)
cat > "$W/berth-runtime" <<SH
#!/bin/sh
echo "\$*" >> "$W/calls"
exec "$REPO/bin/berth-runtime" "\$@"
SH
chmod +x "$W/berth-runtime"
cat > "$W/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "berth"
[engine.runtimes]
berth = ["$W/berth-runtime"]
CONF
export CONTAINERS_CONF="$W/containers.conf"
P="podman --root $W/storage --runroot $W/run --tmpdir $W/tmp --storage-driver overlay"
cleanup() {
  $P rm -af -t 0 >/dev/null 2>&1
  $P system reset -f >/dev/null 2>&1
  grep " $W" /proc/self/mountinfo | awk '{print $5}' | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
  rm -rf "$W"
}
trap cleanup EXIT
busybox_tar "$W/rootfs.tar"
$P import "$W/rootfs.tar" localhost/busybox:berth >/dev/null 2>"$W/import.err" || { cat "$W/import.err"; echo "0 passed, 1 failed"; exit 2; }
R="--network none"

check podman_run_echo "hello-berth" "$($P run --rm $R localhost/busybox:berth echo hello-berth 2>&1)"
$P run --rm $R localhost/busybox:berth sh -c 'exit 7' >/dev/null 2>&1
check podman_exit_code 7 "$?"
check podman_pid1 1 "$($P run --rm $R localhost/busybox:berth sh -c 'echo $$' 2>&1)"
check podman_env_user_cwd "x:1000:/tmp" "$($P run --rm $R -e V=x -u 1000 -w /tmp localhost/busybox:berth sh -c 'echo $V:$(id -u):$(pwd)' 2>&1)"
id=$($P run -d $R localhost/busybox:berth sh -c 'echo to-the-log; trap "exit 3" TERM; while :; do sleep 0.1; done' 2>/dev/null)
sleep 0.5
check podman_running running "$($P inspect -f '{{.State.Status}}' "$id" 2>&1)"
check podman_exec "exec-ok" "$($P exec "$id" echo exec-ok 2>&1)"
check podman_logs "to-the-log" "$($P logs "$id" 2>&1)"
$P stop -t 5 "$id" >/dev/null 2>&1
check podman_stop_exit_code 3 "$($P inspect -f '{{.State.ExitCode}}' "$id" 2>&1)"
$P rm "$id" >/dev/null 2>&1
for verb in create start exec kill delete; do
  check "berth_runtime_called_$verb" yes "$(grep -q "$verb" "$W/calls" 2>/dev/null && echo yes || echo no)"
done
summary
