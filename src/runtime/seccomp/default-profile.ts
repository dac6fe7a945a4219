// dockerDefaultProfile(): Docker's default seccomp profile resolved for one host, the way
// moby's setupSeccomp() does it: architectures from the archMap entry of the native
// arch, and each rule kept or dropped by its includes/excludes (native arch, capability
// set, running kernel version).
import { kernelRelease } from "../../sys/host.ts";
import type { Seccomp, SeccompSyscall } from "../spec.ts";
import { MOBY_ARCH_MAP, MOBY_DEFAULT_ACTION, MOBY_DEFAULT_ERRNO_RET, MOBY_RULES, type MobyFilter } from "./default-profile-data.ts";

export interface DockerProfileOptions {
  /** moby's native arch name ("amd64", "x86", "arm64", ...); default "amd64". */
  arch?: string;
  /** Kernel release for minKernel checks, e.g. "6.18.4"; default: the running kernel. */
  kernel?: string;
}

// moby's nativeToSeccomp for the arches berth may be asked about.
const NATIVE_TO_SCMP: Record<string, string> = {
  amd64: "SCMP_ARCH_X86_64", x86: "SCMP_ARCH_X86", arm64: "SCMP_ARCH_AARCH64", arm: "SCMP_ARCH_ARM",
  s390x: "SCMP_ARCH_S390X", riscv64: "SCMP_ARCH_RISCV64", ppc64le: "SCMP_ARCH_PPC64LE", loongarch64: "SCMP_ARCH_LOONGARCH64",
};

/** `caps` is the container's bounding set (moby checks Capabilities.Bounding). */
export function dockerDefaultProfile(caps: string[], opts: DockerProfileOptions = {}): Seccomp {
  const arch = opts.arch ?? "amd64";
  const kernel = parseKernel(opts.kernel ?? kernelRelease());
  const capSet = new Set(caps);

  const scmp = NATIVE_TO_SCMP[arch];
  const sub = scmp !== undefined && Object.hasOwn(MOBY_ARCH_MAP, scmp) ? MOBY_ARCH_MAP[scmp] : undefined;
  const architectures = sub && scmp ? [scmp, ...sub] : [];

  const syscalls: SeccompSyscall[] = [];
  for (const rule of MOBY_RULES) {
    if (rule.excludes && excluded(rule.excludes, arch, capSet, kernel)) continue;
    if (rule.includes && !included(rule.includes, arch, capSet, kernel)) continue;
    const out: SeccompSyscall = { names: [...rule.names], action: rule.action };
    if (rule.errnoRet !== undefined) out.errnoRet = rule.errnoRet;
    if (rule.args) out.args = rule.args.map((a) => ({ ...a }));
    syscalls.push(out);
  }
  return { defaultAction: MOBY_DEFAULT_ACTION, defaultErrnoRet: MOBY_DEFAULT_ERRNO_RET, architectures, syscalls };
}

// Excludes: any one listed arch / cap present, or kernel >= minKernel, drops the rule.
function excluded(f: MobyFilter, arch: string, caps: Set<string>, kernel: [number, number]): boolean {
  if (f.arches?.includes(arch)) return true;
  if (f.caps?.some((c) => caps.has(c))) return true;
  return f.minKernel !== undefined && kernelAtLeast(kernel, f.minKernel);
}

// Includes: all listed conditions must hold (arch among them, every cap, kernel >= min).
function included(f: MobyFilter, arch: string, caps: Set<string>, kernel: [number, number]): boolean {
  if (f.arches && f.arches.length > 0 && !f.arches.includes(arch)) return false;
  if (f.caps && !f.caps.every((c) => caps.has(c))) return false;
  return f.minKernel === undefined || kernelAtLeast(kernel, f.minKernel);
}

function parseKernel(v: string): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(v);
  if (!m) throw new Error(`cannot parse kernel version ${JSON.stringify(v)}`);
  return [Number(m[1]), Number(m[2])];
}

function kernelAtLeast(k: [number, number], min: string): boolean {
  const [maj, min2] = parseKernel(min);
  return k[0] > maj || (k[0] === maj && k[1] >= min2);
}
