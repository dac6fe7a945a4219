// TODO(devices): the devices cgroup belongs to the devices issue. v1: devices.deny "a" then one
// devices.allow per linux.resources.devices rule; v2: an eBPF BPF_CGROUP_DEVICE program (no file
// writes). This hook is where the v1 writes get planned; until then the container's devices cgroup
// is created and joined but inherits its parent's rules.
import type { LinuxResources } from "../spec.ts";
import type { PlannedWrite } from "./common.ts";

export function devicesWrites(_dir: string, _r: LinuxResources): PlannedWrite[] {
  return [];
}
