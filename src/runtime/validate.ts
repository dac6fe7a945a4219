// config.json -> Spec, or errors that name the field and say why. Nothing is created before
// this passes. Unsupported features are refused here rather than silently ignored.
import { CAPABILITIES, RLIMITS } from "./linux.ts";
import type { Spec } from "./spec.ts";

export class SpecError extends Error {
  override name = "SpecError";
  constructor(readonly problems: string[]) {
    super(`invalid config.json: ${problems.join("; ")}`);
  }
}

type J = Record<string, unknown>;
const isObj = (v: unknown): v is J => typeof v === "object" && v !== null && !Array.isArray(v);
const NS_TYPES = new Set(["pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"]);
const PROPAGATION = new Set(["", "private", "rprivate", "slave", "rslave", "shared", "rshared", "unbindable", "runbindable"]);

export function parseSpec(text: string, where = "config.json"): Spec {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new SpecError([`${where} is not valid JSON: ${(e as Error).message}`]);
  }
  return validateSpec(raw);
}

/** `needProcess`: a config without a process may be created (start refuses it). */
export function validateSpec(raw: unknown, needProcess = false): Spec {
  const p: string[] = [];
  const bad = (field: string, why: string) => p.push(`${field}: ${why}`);
  if (!isObj(raw)) throw new SpecError(["config.json: must be a JSON object"]);
  const str = (v: unknown, f: string, required = false) => {
    if (v === undefined) {
      if (required) bad(f, "is required");
    } else if (typeof v !== "string") bad(f, `must be a string, got ${JSON.stringify(v)}`);
  };
  const uint = (v: unknown, f: string, required = false, max = 0xffffffff) => {
    if (v === undefined) {
      if (required) bad(f, "is required");
    } else if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > max) bad(f, `must be an integer between 0 and ${max}, got ${JSON.stringify(v)}`);
  };
  const int = (v: unknown, f: string) => {
    if (v !== undefined && (typeof v !== "number" || !Number.isInteger(v))) bad(f, `must be an integer, got ${JSON.stringify(v)}`);
  };
  const bool = (v: unknown, f: string) => {
    if (v !== undefined && typeof v !== "boolean") bad(f, `must be true or false, got ${JSON.stringify(v)}`);
  };
  const strArr = (v: unknown, f: string) => {
    if (v === undefined) return;
    if (!Array.isArray(v)) return bad(f, "must be an array of strings");
    v.forEach((x, i) => typeof x !== "string" && bad(`${f}[${i}]`, `must be a string, got ${JSON.stringify(x)}`));
  };
  const obj = (v: unknown, f: string): v is J => {
    if (v === undefined) return false;
    if (!isObj(v)) {
      bad(f, "must be an object");
      return false;
    }
    return true;
  };
  const arr = (v: unknown, f: string): v is unknown[] => {
    if (v === undefined) return false;
    if (!Array.isArray(v)) {
      bad(f, "must be an array");
      return false;
    }
    return true;
  };

  str(raw.ociVersion, "ociVersion", true);
  if (typeof raw.ociVersion === "string" && !/^1\.\d+\.\d+/.test(raw.ociVersion)) bad("ociVersion", `"${raw.ociVersion}" is not a supported version (1.x.y)`);

  if (obj(raw.root, "root")) {
    str(raw.root.path, "root.path", true);
    if (raw.root.path === "") bad("root.path", "must not be empty");
    bool(raw.root.readonly, "root.readonly");
  } else if (raw.root === undefined) bad("root", "is required on Linux");

  if (obj(raw.process, "process")) {
    const pr = raw.process;
    bool(pr.terminal, "process.terminal");
    if (obj(pr.consoleSize, "process.consoleSize")) {
      uint(pr.consoleSize.height, "process.consoleSize.height", true, 0xffff);
      uint(pr.consoleSize.width, "process.consoleSize.width", true, 0xffff);
    }
    if (obj(pr.user, "process.user")) {
      uint(pr.user.uid, "process.user.uid", true);
      uint(pr.user.gid, "process.user.gid", true);
      uint(pr.user.umask, "process.user.umask", false, 0o7777);
      if (arr(pr.user.additionalGids, "process.user.additionalGids"))
        pr.user.additionalGids.forEach((g, i) => uint(g, `process.user.additionalGids[${i}]`, true));
    } else if (pr.user === undefined) bad("process.user", "is required");
    strArr(pr.args, "process.args");
    if (pr.commandLine !== undefined) bad("process.commandLine", "is Windows-only");
    if (!Array.isArray(pr.args) || pr.args.length === 0) bad("process.args", "must contain at least the program to run");
    strArr(pr.env, "process.env");
    if (Array.isArray(pr.env)) pr.env.forEach((e, i) => typeof e === "string" && !e.includes("=") && bad(`process.env[${i}]`, `"${e}" is not KEY=value`));
    str(pr.cwd, "process.cwd", true);
    if (typeof pr.cwd === "string" && !pr.cwd.startsWith("/")) bad("process.cwd", `must be an absolute path, got "${pr.cwd}"`);
    if (obj(pr.capabilities, "process.capabilities")) {
      for (const set of ["bounding", "effective", "inheritable", "permitted", "ambient"]) {
        const v = pr.capabilities[set];
        strArr(v, `process.capabilities.${set}`);
        if (Array.isArray(v))
          v.forEach((c, i) => typeof c === "string" && !CAPABILITIES.includes(c as (typeof CAPABILITIES)[number]) && bad(`process.capabilities.${set}[${i}]`, `unknown capability "${c}"`));
      }
    }
    if (arr(pr.rlimits, "process.rlimits")) {
      const seen = new Set<string>();
      pr.rlimits.forEach((r, i) => {
        const f = `process.rlimits[${i}]`;
        if (!obj(r, f)) return;
        str(r.type, `${f}.type`, true);
        if (typeof r.type === "string") {
          if (!(r.type in RLIMITS)) bad(`${f}.type`, `unknown rlimit "${r.type}"`);
          if (seen.has(r.type)) bad(`${f}.type`, `"${r.type}" appears twice`);
          seen.add(r.type);
        }
        uint(r.soft, `${f}.soft`, true, 2 ** 64);
        uint(r.hard, `${f}.hard`, true, 2 ** 64);
        if (typeof r.soft === "number" && typeof r.hard === "number" && r.soft > r.hard) bad(f, `soft limit ${r.soft} exceeds hard limit ${r.hard}`);
      });
    }
    bool(pr.noNewPrivileges, "process.noNewPrivileges");
    int(pr.oomScoreAdj, "process.oomScoreAdj");
    if (typeof pr.oomScoreAdj === "number" && (pr.oomScoreAdj < -1000 || pr.oomScoreAdj > 1000)) bad("process.oomScoreAdj", "must be between -1000 and 1000");
    str(pr.apparmorProfile, "process.apparmorProfile");
    if (pr.apparmorProfile) bad("process.apparmorProfile", "AppArmor is not supported by berth on this host");
    str(pr.selinuxLabel, "process.selinuxLabel");
    if (pr.selinuxLabel) bad("process.selinuxLabel", "SELinux is not supported by berth on this host");
  } else if (needProcess && raw.process === undefined) bad("process", "is required to create a container");

  str(raw.hostname, "hostname");
  str(raw.domainname, "domainname");

  if (arr(raw.mounts, "mounts")) {
    raw.mounts.forEach((m, i) => {
      const f = `mounts[${i}]`;
      if (!obj(m, f)) return;
      str(m.destination, `${f}.destination`, true);
      if (typeof m.destination === "string" && !m.destination.startsWith("/")) bad(`${f}.destination`, `must be an absolute path, got "${m.destination}"`);
      str(m.source, `${f}.source`);
      str(m.type, `${f}.type`);
      strArr(m.options, `${f}.options`);
      if (Array.isArray(m.options)) {
        for (const o of m.options) if (o === "idmap" || o === "ridmap" || o === "tmpcopyup") bad(`${f}.options`, `"${o}" is not supported`);
      }
      if (m.uidMappings !== undefined || m.gidMappings !== undefined) bad(`${f}`, "id-mapped mounts (uidMappings/gidMappings) are not supported");
    });
  }

  if (obj(raw.hooks, "hooks")) {
    for (const [k, v] of Object.entries(raw.hooks)) {
      if (!["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"].includes(k)) {
        bad(`hooks.${k}`, "unknown hook");
        continue;
      }
      if (arr(v, `hooks.${k}`))
        v.forEach((h, i) => {
          const f = `hooks.${k}[${i}]`;
          if (!obj(h, f)) return;
          str(h.path, `${f}.path`, true);
          if (typeof h.path === "string" && !h.path.startsWith("/")) bad(`${f}.path`, "must be an absolute path");
          strArr(h.args, `${f}.args`);
          strArr(h.env, `${f}.env`);
          if (h.timeout !== undefined) uint(h.timeout, `${f}.timeout`, false);
          if (h.timeout === 0) bad(`${f}.timeout`, "must be greater than zero");
        });
    }
  }

  if (raw.annotations !== undefined && obj(raw.annotations, "annotations")) {
    for (const [k, v] of Object.entries(raw.annotations)) if (typeof v !== "string") bad(`annotations.${k}`, "must be a string");
  }

  const ns = new Map<string, { path?: string }>();
  if (obj(raw.linux, "linux")) {
    const l = raw.linux;
    if (arr(l.namespaces, "linux.namespaces")) {
      l.namespaces.forEach((n, i) => {
        const f = `linux.namespaces[${i}]`;
        if (!obj(n, f)) return;
        str(n.type, `${f}.type`, true);
        str(n.path, `${f}.path`);
        if (typeof n.type === "string") {
          if (!NS_TYPES.has(n.type)) bad(`${f}.type`, `unknown namespace type "${n.type}"`);
          else if (ns.has(n.type)) bad(`${f}.type`, `namespace "${n.type}" appears twice`);
          ns.set(n.type, { path: typeof n.path === "string" ? n.path : undefined });
        }
        if (typeof n.path === "string" && n.path !== "" && !n.path.startsWith("/")) bad(`${f}.path`, "must be an absolute path");
      });
    }
    for (const key of ["uidMappings", "gidMappings"]) {
      if (arr(l[key], `linux.${key}`)) {
        (l[key] as unknown[]).forEach((m, i) => {
          const f = `linux.${key}[${i}]`;
          if (!obj(m, f)) return;
          uint(m.containerID, `${f}.containerID`, true);
          uint(m.hostID, `${f}.hostID`, true);
          uint(m.size, `${f}.size`, true);
          if (m.size === 0) bad(`${f}.size`, "must be greater than zero");
        });
      }
    }
    const userNs = ns.get("user");
    const hasMaps = Array.isArray(l.uidMappings) && l.uidMappings.length > 0;
    if (userNs && !userNs.path && !hasMaps) bad("linux.uidMappings", "a new user namespace needs uid and gid mappings");
    if (!userNs && (hasMaps || (Array.isArray(l.gidMappings) && l.gidMappings.length > 0))) bad("linux.uidMappings", "mappings given without a user namespace");
    if (userNs && !userNs.path && hasMaps && !(Array.isArray(l.gidMappings) && l.gidMappings.length > 0)) bad("linux.gidMappings", "a new user namespace needs gid mappings too");
    if (arr(l.devices, "linux.devices")) {
      l.devices.forEach((d, i) => {
        const f = `linux.devices[${i}]`;
        if (!obj(d, f)) return;
        str(d.path, `${f}.path`, true);
        if (typeof d.path === "string" && !d.path.startsWith("/")) bad(`${f}.path`, "must be an absolute path");
        if (!["c", "b", "u", "p"].includes(d.type as string)) bad(`${f}.type`, `must be one of c, b, u, p; got ${JSON.stringify(d.type)}`);
        if (d.type !== "p") {
          uint(d.major, `${f}.major`, true);
          uint(d.minor, `${f}.minor`, true);
        }
        uint(d.fileMode, `${f}.fileMode`, false, 0o7777);
        uint(d.uid, `${f}.uid`);
        uint(d.gid, `${f}.gid`);
      });
    }
    str(l.cgroupsPath, "linux.cgroupsPath");
    if (typeof l.cgroupsPath === "string" && l.cgroupsPath.split("/").includes("..")) bad("linux.cgroupsPath", `must not contain "..": "${l.cgroupsPath}"`);
    if (obj(l.resources, "linux.resources") && arr(l.resources.devices, "linux.resources.devices")) {
      l.resources.devices.forEach((d, i) => {
        const f = `linux.resources.devices[${i}]`;
        if (!obj(d, f)) return;
        if (typeof d.allow !== "boolean") bad(`${f}.allow`, "is required (true or false)");
        if (d.type !== undefined && !["a", "b", "c"].includes(d.type as string)) bad(`${f}.type`, `must be a, b or c; got ${JSON.stringify(d.type)}`);
        if (d.access !== undefined && (typeof d.access !== "string" || !/^[rwm]*$/.test(d.access))) bad(`${f}.access`, `must be made of r, w and m; got ${JSON.stringify(d.access)}`);
        for (const k of ["major", "minor"]) if (d[k] !== undefined && d[k] !== null && (typeof d[k] !== "number" || !Number.isInteger(d[k]))) bad(`${f}.${k}`, "must be an integer or null");
      });
    }
    str(l.rootfsPropagation, "linux.rootfsPropagation");
    if (typeof l.rootfsPropagation === "string" && !PROPAGATION.has(l.rootfsPropagation)) bad("linux.rootfsPropagation", `unknown propagation "${l.rootfsPropagation}"`);
    if (l.sysctl !== undefined && obj(l.sysctl, "linux.sysctl")) {
      for (const [k, v] of Object.entries(l.sysctl)) {
        if (typeof v !== "string") bad(`linux.sysctl.${k}`, "must be a string");
        if (!/^[a-zA-Z0-9_.\-/]+$/.test(k) || k.split(/[./]/).includes("..")) bad(`linux.sysctl.${k}`, "is not a valid sysctl name");
        else if (!sysctlAllowed(k, ns)) bad(`linux.sysctl.${k}`, "is not namespaced by the container's namespaces (it would change the host)");
      }
    }
    strArr(l.maskedPaths, "linux.maskedPaths");
    strArr(l.readonlyPaths, "linux.readonlyPaths");
    for (const key of ["maskedPaths", "readonlyPaths"]) {
      const v = l[key];
      if (Array.isArray(v)) v.forEach((x, i) => typeof x === "string" && !x.startsWith("/") && bad(`linux.${key}[${i}]`, "must be an absolute path"));
    }
    if (obj(l.seccomp, "linux.seccomp")) str(l.seccomp.defaultAction, "linux.seccomp.defaultAction", true);
    if (l.personality !== undefined) bad("linux.personality", "is not supported");
    if (l.intelRdt !== undefined) bad("linux.intelRdt", "Intel RDT is not supported");
    if (l.timeOffsets !== undefined) bad("linux.timeOffsets", "time namespaces are not supported");
    if (ns.has("time")) bad("linux.namespaces", "time namespaces are not supported");
    if (typeof l.mountLabel === "string" && l.mountLabel) bad("linux.mountLabel", "SELinux is not supported by berth on this host");
  }
  // as runc: a uts namespace of the container's own (new, or joined by path), never the host's
  if (typeof raw.hostname === "string" && raw.hostname && !ns.has("uts")) bad("hostname", "setting the hostname needs a uts namespace");
  if (typeof raw.domainname === "string" && raw.domainname && !ns.has("uts")) bad("domainname", "setting the domainname needs a uts namespace");

  if (p.length) throw new SpecError(p);
  return raw as unknown as Spec;
}

/** runc's rule: only sysctls the container's own namespaces isolate may be set. */
function sysctlAllowed(key: string, ns: Map<string, { path?: string }>): boolean {
  const k = key.replace(/\//g, ".");
  const ipc = ["kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"];
  if (ipc.includes(k) || k.startsWith("fs.mqueue.")) return ns.has("ipc");
  if (k.startsWith("net.")) return ns.has("network");
  if (k === "kernel.hostname" || k === "kernel.domainname") return ns.has("uts");
  return false;
}
