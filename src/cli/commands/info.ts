import { readFileSync, readdirSync } from "node:fs";
import { release } from "node:os";
import { cgroupMounts } from "../../runtime/cgroups/detect.ts";
import { berthRoot } from "../../sys/paths.ts";
import { writeStdout } from "../../sys/io.ts";

export default async function info(_args: string[]): Promise<number> {
  const cg = cgroupMounts();
  const ns = readdirSync("/proc/self/ns").sort();
  const overlay = readFileSync("/proc/filesystems", "utf8").includes("\toverlay\n");
  const lines = [
    `Server Version: berth (daemonless)`,
    `Storage Driver: ${overlay ? "overlay2" : "vfs (overlayfs not available)"}`,
    `Cgroup Driver: cgroupfs`,
    `Cgroup Version: ${cg.mode === "unified" ? "2" : "1"} (${cg.mode}${cg.v2 && cg.mode === "hybrid" ? `, cgroup2 at ${cg.v2}` : ""})`,
    `Cgroup Controllers (v1): ${[...cg.v1.keys()].join(" ") || "none"}`,
    `Namespaces: ${ns.join(" ")}`,
    `Kernel Version: ${release()}`,
    `Operating System: ${osName()}`,
    `Docker Root Dir: ${berthRoot()}`,
  ];
  writeStdout(lines.join("\n") + "\n");
  return 0;
}

function osName(): string {
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync("/etc/os-release", "utf8"));
    return m?.[1] ?? "linux";
  } catch {
    return "linux";
  }
}
