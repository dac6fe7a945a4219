import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Seccomp, SeccompSyscall } from "../src/runtime/spec.ts";
import { compileSeccomp, SeccompError } from "../src/runtime/seccomp/compile.ts";
import { runFilter, type SeccompData } from "../src/runtime/seccomp/bpf-interp.ts";
import { decode, BPF_JMP, BPF_JA } from "../src/runtime/seccomp/bpf.ts";
import { dockerDefaultProfile } from "../src/runtime/seccomp/default-profile.ts";
import { SYSCALLS_X86_64 } from "../src/runtime/seccomp/syscalls-x86_64.ts";
import { SYSCALLS_X86 } from "../src/runtime/seccomp/syscalls-x86.ts";
import { SYSCALLS_X32 } from "../src/runtime/seccomp/syscalls-x32.ts";

const X86_64 = 0xc000003e;
const I386 = 0x40000003;
const AARCH64 = 0xc00000b7;
const X32_BIT = 0x40000000;

const ALLOW = 0x7fff0000;
const KILL_THREAD = 0;
const KILL_PROCESS = 0x80000000;
const TRAP = 0x00030000;
const LOG = 0x7ffc0000;
const errno = (e: number): number => 0x00050000 | e;
const trace = (d: number): number => 0x7ff00000 | d;

function nr(name: string, table: ReadonlyMap<string, number> = SYSCALLS_X86_64): number {
  const n = table.get(name);
  assert.notEqual(n, undefined, `no syscall ${name}`);
  return n as number;
}

/** Decision for a native x86_64 call of `name` with `args`. */
function decide(s: Seccomp | Uint8Array, name: string, args: (bigint | number)[] = [], arch = X86_64): number {
  const program = s instanceof Uint8Array ? s : compileSeccomp(s).program;
  const table = arch === I386 ? SYSCALLS_X86 : SYSCALLS_X86_64;
  return runFilter(program, { nr: nr(name, table), arch, args });
}

const allowDefault = (syscalls: SeccompSyscall[], extra: Partial<Seccomp> = {}): Seccomp => ({
  defaultAction: "SCMP_ACT_ALLOW",
  syscalls,
  ...extra,
});

describe("seccomp compile: actions", () => {
  it("applies the default action to unlisted syscalls", () => {
    assert.equal(decide({ defaultAction: "SCMP_ACT_ALLOW" }, "getpid"), ALLOW);
    assert.equal(decide({ defaultAction: "SCMP_ACT_ERRNO" }, "getpid"), errno(1)); // EPERM when unset
    assert.equal(decide({ defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 13 }, "getpid"), errno(13));
    assert.equal(decide({ defaultAction: "SCMP_ACT_KILL_PROCESS" }, "getpid"), KILL_PROCESS);
    const s: Seccomp = { defaultAction: "SCMP_ACT_TRAP", syscalls: [{ names: ["read"], action: "SCMP_ACT_ALLOW" }] };
    assert.equal(decide(s, "write"), TRAP);
    assert.equal(decide(s, "read"), ALLOW);
  });

  it("encodes every supported action with its data", () => {
    const s: Seccomp = {
      defaultAction: "SCMP_ACT_ERRNO",
      defaultErrnoRet: 38,
      syscalls: [
        { names: ["read"], action: "SCMP_ACT_ALLOW" },
        { names: ["write"], action: "SCMP_ACT_ERRNO", errnoRet: 5 },
        { names: ["open"], action: "SCMP_ACT_ERRNO" },
        { names: ["close"], action: "SCMP_ACT_KILL" },
        { names: ["stat"], action: "SCMP_ACT_KILL_THREAD" },
        { names: ["fstat"], action: "SCMP_ACT_KILL_PROCESS" },
        { names: ["lstat"], action: "SCMP_ACT_TRAP" },
        { names: ["poll"], action: "SCMP_ACT_TRACE", errnoRet: 77 },
        { names: ["lseek"], action: "SCMP_ACT_TRACE" },
        { names: ["mmap"], action: "SCMP_ACT_LOG" },
      ],
    };
    const p = compileSeccomp(s).program;
    const want: [string, number][] = [
      ["read", ALLOW], ["write", errno(5)], ["open", errno(1)], ["close", KILL_THREAD], ["stat", KILL_THREAD],
      ["fstat", KILL_PROCESS], ["lstat", TRAP], ["poll", trace(77)], ["lseek", trace(1)], ["mmap", LOG],
      ["mprotect", errno(38)],
    ];
    for (const [name, ret] of want) assert.equal(decide(p, name), ret, name);
  });

  it("ignores unknown syscall names and drops rules equal to the default action (runc)", () => {
    const s = allowDefault([
      { names: ["no_such_syscall", "mkdir"], action: "SCMP_ACT_ERRNO" },
      // Same as the default: dropped, so it can't shadow the unconditional rule below.
      { names: ["rmdir"], action: "SCMP_ACT_ALLOW", args: [{ index: 0, value: 0, op: "SCMP_CMP_NE" }] },
      { names: ["rmdir"], action: "SCMP_ACT_ERRNO", errnoRet: 2 },
    ]);
    assert.equal(decide(s, "mkdir"), errno(1));
    assert.equal(decide(s, "rmdir", [5]), errno(2));
  });

  it("returns the SECCOMP_FILTER_FLAG_* bits", () => {
    assert.equal(compileSeccomp({ defaultAction: "SCMP_ACT_ALLOW" }).flags, 0);
    const flags = ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"];
    assert.equal(compileSeccomp({ defaultAction: "SCMP_ACT_ALLOW", flags }).flags, 1 | 2 | 4);
    assert.equal(compileSeccomp({ defaultAction: "SCMP_ACT_ALLOW", flags: ["SECCOMP_FILTER_FLAG_LOG"] }).flags, 2);
  });
});

describe("seccomp compile: argument conditions", () => {
  const V = 0x1_0000_0005n; // nonzero high half
  const probes = [0n, 5n, V - 1n, V, V + 1n, 0x2_0000_0004n, 0x0_ffff_ffffn, 0xffff_ffff_ffff_ffffn];
  const ops: [string, (a: bigint) => boolean][] = [
    ["SCMP_CMP_EQ", (a) => a === V],
    ["SCMP_CMP_NE", (a) => a !== V],
    ["SCMP_CMP_LT", (a) => a < V],
    ["SCMP_CMP_LE", (a) => a <= V],
    ["SCMP_CMP_GT", (a) => a > V],
    ["SCMP_CMP_GE", (a) => a >= V],
  ];
  for (const [op, holds] of ops) {
    it(`${op} compares all 64 bits`, () => {
      const p = compileSeccomp(allowDefault([
        { names: ["write"], action: "SCMP_ACT_ERRNO", errnoRet: 9, args: [{ index: 2, value: Number(V), op }] },
      ])).program;
      for (const a of probes) assert.equal(decide(p, "write", [0, 0, a]), holds(a) ? errno(9) : ALLOW, `${op} ${a}`);
    });
  }

  it("SCMP_CMP_MASKED_EQ uses value as mask and valueTwo as datum, both halves", () => {
    const mask = 0xff_0000_00ffn;
    const datum = 0x12_0000_0034n;
    const p = compileSeccomp(allowDefault([
      { names: ["ioctl"], action: "SCMP_ACT_ERRNO", errnoRet: 7, args: [{ index: 1, value: Number(mask), valueTwo: Number(datum), op: "SCMP_CMP_MASKED_EQ" }] },
    ])).program;
    for (const a of [datum, datum | 0xff00n, 0x13_0000_0034n, 0x12_0000_0035n, 0x34n, 0xab12_dead_be34n]) {
      assert.equal(decide(p, "ioctl", [0, a]), (a & mask) === datum ? errno(7) : ALLOW, `arg ${a.toString(16)}`);
    }
  });

  it("ANDs conditions within a rule and ORs rules for the same syscall", () => {
    const p = compileSeccomp(allowDefault([
      { names: ["kill"], action: "SCMP_ACT_ERRNO", errnoRet: 3, args: [{ index: 0, value: 1, op: "SCMP_CMP_EQ" }, { index: 1, value: 9, op: "SCMP_CMP_EQ" }] },
      { names: ["kill"], action: "SCMP_ACT_ERRNO", errnoRet: 4, args: [{ index: 1, value: 15, op: "SCMP_CMP_EQ" }] },
    ])).program;
    assert.equal(decide(p, "kill", [1, 9]), errno(3));
    assert.equal(decide(p, "kill", [2, 9]), ALLOW);
    assert.equal(decide(p, "kill", [1, 10]), ALLOW);
    assert.equal(decide(p, "kill", [7, 15]), errno(4));
  });

  it("ORs conditions that repeat an argument index (runc splits them into rules)", () => {
    const p = compileSeccomp(allowDefault([
      { names: ["kill"], action: "SCMP_ACT_ERRNO", args: [{ index: 1, value: 9, op: "SCMP_CMP_EQ" }, { index: 1, value: 15, op: "SCMP_CMP_EQ" }] },
    ])).program;
    assert.equal(decide(p, "kill", [1, 9]), errno(1));
    assert.equal(decide(p, "kill", [1, 15]), errno(1));
    assert.equal(decide(p, "kill", [1, 2]), ALLOW);
  });

  it("tries conditional rules before an unconditional one for the same syscall", () => {
    const p = compileSeccomp({
      defaultAction: "SCMP_ACT_KILL_PROCESS",
      syscalls: [
        { names: ["openat"], action: "SCMP_ACT_ALLOW" },
        { names: ["openat"], action: "SCMP_ACT_ERRNO", errnoRet: 30, args: [{ index: 2, value: 3, valueTwo: 1, op: "SCMP_CMP_MASKED_EQ" }] },
      ],
    }).program;
    assert.equal(decide(p, "openat", [0, 0, 1]), errno(30));
    assert.equal(decide(p, "openat", [0, 0, 0]), ALLOW);
  });

  it("compares only the low 32 bits on 32-bit ABIs (libseccomp)", () => {
    const p = compileSeccomp(allowDefault([
      { names: ["kill"], action: "SCMP_ACT_ERRNO", args: [{ index: 1, value: 0x1_0000_0009, op: "SCMP_CMP_EQ" }] },
    ], { architectures: ["SCMP_ARCH_X86"] })).program;
    assert.equal(decide(p, "kill", [1, 9], I386), errno(1));
    assert.equal(decide(p, "kill", [1, 9], X86_64), ALLOW);
    assert.equal(decide(p, "kill", [1, 0x1_0000_0009n], X86_64), errno(1));
  });
});

describe("seccomp compile: architectures", () => {
  const s = (architectures?: string[]): Seccomp =>
    allowDefault([{ names: ["mkdir"], action: "SCMP_ACT_ERRNO", errnoRet: 17 }], architectures ? { architectures } : {});

  it("kills (KILL_THREAD, libseccomp's bad-arch action) on an arch not in the filter", () => {
    const p = compileSeccomp(s()).program;
    assert.equal(runFilter(p, { nr: 39, arch: I386 }), KILL_THREAD); // native x86_64 only by default
    assert.equal(runFilter(p, { nr: 1, arch: AARCH64 }), KILL_THREAD);
    assert.equal(runFilter(p, { nr: 83, arch: X86_64 }), errno(17));
    assert.equal(runFilter(p, { nr: 84, arch: X86_64 }), ALLOW);
  });

  it("uses the i386 table for SCMP_ARCH_X86 and ignores foreign arch names", () => {
    const p = compileSeccomp(s(["SCMP_ARCH_X86", "SCMP_ARCH_AARCH64"])).program;
    assert.equal(runFilter(p, { nr: nr("mkdir", SYSCALLS_X86), arch: I386 }), errno(17));
    assert.equal(runFilter(p, { nr: 83, arch: I386 }), ALLOW); // 83 is symlink on i386
    assert.equal(runFilter(p, { nr: 83, arch: X86_64 }), errno(17)); // native always present
    assert.equal(runFilter(p, { nr: 1, arch: AARCH64 }), KILL_THREAD);
  });

  it("treats x32 calls (nr | 0x40000000 under AUDIT_ARCH_X86_64) as their own ABI", () => {
    const x32mkdir = nr("mkdir", SYSCALLS_X32);
    assert.equal(x32mkdir, X32_BIT + 83);
    const native = compileSeccomp(s()).program;
    assert.equal(runFilter(native, { nr: x32mkdir, arch: X86_64 }), KILL_THREAD);
    assert.equal(runFilter(native, { nr: X32_BIT + 84, arch: X86_64 }), KILL_THREAD);
    const both = compileSeccomp(s(["SCMP_ARCH_X86_64", "SCMP_ARCH_X32"])).program;
    assert.equal(runFilter(both, { nr: x32mkdir, arch: X86_64 }), errno(17));
    assert.equal(runFilter(both, { nr: X32_BIT + 84, arch: X86_64 }), ALLOW);
    assert.equal(runFilter(both, { nr: 83, arch: X86_64 }), errno(17));
    // x32 uses 512+ for some calls; the x86_64 number with the bit is not a valid x32 call.
    const denyAll = compileSeccomp({ defaultAction: "SCMP_ACT_ERRNO", architectures: ["SCMP_ARCH_X32"], syscalls: [{ names: ["ioctl"], action: "SCMP_ACT_ALLOW" }] }).program;
    assert.equal(runFilter(denyAll, { nr: X32_BIT + 514, arch: X86_64 }), ALLOW);
    assert.equal(runFilter(denyAll, { nr: X32_BIT + 16, arch: X86_64 }), errno(1));
    assert.equal(runFilter(denyAll, { nr: 16, arch: X86_64 }), ALLOW);
  });
});

describe("seccomp compile: errors name the field", () => {
  const bad: [string, Seccomp, RegExp][] = [
    ["unknown action", allowDefault([
      { names: ["read"], action: "SCMP_ACT_ALLOW" }, { names: ["read"], action: "SCMP_ACT_ALLOW" },
      { names: ["read"], action: "SCMP_ACT_ALLOW" }, { names: ["read"], action: "SCMP_ACT_FOO" },
    ]), /^linux\.seccomp\.syscalls\[3\]\.action: unknown action "SCMP_ACT_FOO"$/],
    ["unknown default action", { defaultAction: "ALLOW" }, /^linux\.seccomp\.defaultAction: unknown action "ALLOW"/],
    ["notify", allowDefault([{ names: ["read"], action: "SCMP_ACT_NOTIFY" }]), /syscalls\[0\]\.action: SCMP_ACT_NOTIFY is not supported/],
    ["unknown op", allowDefault([{ names: ["read"], action: "SCMP_ACT_ERRNO", args: [{ index: 0, value: 1, op: "SCMP_CMP_XX" }] }]), /syscalls\[0\]\.args\[0\]\.op: unknown operator "SCMP_CMP_XX"/],
    ["bad index", allowDefault([{ names: ["read"], action: "SCMP_ACT_ERRNO", args: [{ index: 6, value: 1, op: "SCMP_CMP_EQ" }] }]), /args\[0\]\.index: must be 0\.\.5/],
    ["negative value", allowDefault([{ names: ["read"], action: "SCMP_ACT_ERRNO", args: [{ index: 0, value: -1, op: "SCMP_CMP_EQ" }] }]), /args\[0\]\.value: must be an unsigned 64-bit integer/],
    ["unknown arch", { defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_Z80"] }, /^linux\.seccomp\.architectures\[1\]: unknown architecture "SCMP_ARCH_Z80"/],
    ["unknown flag", { defaultAction: "SCMP_ACT_ALLOW", flags: ["SECCOMP_FILTER_FLAG_NOPE"] }, /^linux\.seccomp\.flags\[0\]: unknown flag/],
    ["errno on allow", allowDefault([{ names: ["read"], action: "SCMP_ACT_KILL", errnoRet: 1 }]), /syscalls\[0\]\.errnoRet: only valid with/],
    ["errno out of range", { defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 70000 }, /^linux\.seccomp\.defaultErrnoRet: must be an integer/],
    ["empty names", allowDefault([{ names: [], action: "SCMP_ACT_ERRNO" }]), /syscalls\[0\]\.names: must be a non-empty list/],
  ];
  for (const [what, profile, re] of bad) {
    it(what, () => {
      assert.throws(() => compileSeccomp(profile), (e: unknown) => e instanceof SeccompError && re.test(e.message));
    });
  }
});

describe("seccomp compile: Docker default profile", () => {
  // Docker's default capability set.
  const CAPS = [
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID",
    "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
  ];
  const EPERM = errno(1);
  const CLONE_NEWUSER = 0x10000000;
  const CLONE_NEWNS = 0x00020000;
  const SIGCHLD = 17;
  const threadFlags = 0x003d0f00; // glibc pthread_create's clone flags
  const plain = compileSeccomp(dockerDefaultProfile(CAPS, { kernel: "6.18.0" })).program;
  const admin = compileSeccomp(dockerDefaultProfile([...CAPS, "CAP_SYS_ADMIN"], { kernel: "6.18.0" })).program;

  it("resolves architectures from moby's archMap", () => {
    assert.deepEqual(dockerDefaultProfile(CAPS).architectures, ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]);
  });

  it("allows ordinary syscalls and denies the rest with EPERM", () => {
    for (const name of ["mkdir", "read", "openat", "execve", "fchmodat2", "arch_prctl", "modify_ldt", "chroot"]) {
      assert.equal(decide(plain, name), ALLOW, name);
    }
    for (const name of ["unshare", "mount", "umount2", "keyctl", "add_key", "setns", "reboot", "init_module", "bpf", "kexec_load", "open_by_handle_at", "userfaultfd"]) {
      assert.equal(decide(plain, name), EPERM, name);
    }
    assert.equal(decide(plain, "chown32", [], I386), ALLOW);
    assert.equal(decide(plain, "mount", [], I386), EPERM);
    assert.equal(runFilter(plain, { nr: nr("mkdir", SYSCALLS_X32), arch: X86_64 }), ALLOW);
    assert.equal(runFilter(plain, { nr: 1, arch: AARCH64 }), KILL_THREAD);
  });

  it("clone: namespace flags are EPERM without CAP_SYS_ADMIN, plain clone allowed; clone3 is ENOSYS", () => {
    assert.equal(decide(plain, "clone", [SIGCHLD]), ALLOW);
    assert.equal(decide(plain, "clone", [threadFlags]), ALLOW);
    assert.equal(decide(plain, "clone", [CLONE_NEWUSER | SIGCHLD]), EPERM);
    assert.equal(decide(plain, "clone", [CLONE_NEWNS | SIGCHLD]), EPERM);
    assert.equal(decide(plain, "clone3"), errno(38)); // so glibc falls back to clone
    assert.equal(decide(admin, "clone", [CLONE_NEWUSER | SIGCHLD]), ALLOW);
    assert.equal(decide(admin, "clone3"), ALLOW);
    assert.equal(decide(admin, "unshare"), ALLOW);
    assert.equal(decide(admin, "mount"), ALLOW);
    assert.equal(decide(admin, "keyctl"), EPERM); // keyctl is never allowed
  });

  it("ptrace follows moby: allowed on kernels >= 4.8, else only with CAP_SYS_PTRACE", () => {
    assert.equal(decide(plain, "ptrace"), ALLOW);
    const old = compileSeccomp(dockerDefaultProfile(CAPS, { kernel: "4.4.0" })).program;
    assert.equal(decide(old, "ptrace"), EPERM);
    const oldPtrace = compileSeccomp(dockerDefaultProfile([...CAPS, "CAP_SYS_PTRACE"], { kernel: "4.4.0" })).program;
    assert.equal(decide(oldPtrace, "ptrace"), ALLOW);
    assert.equal(decide(plain, "kcmp"), EPERM);
  });

  it("socket and personality argument filters", () => {
    assert.equal(decide(plain, "socket", [2]), ALLOW); // AF_INET
    assert.equal(decide(plain, "socket", [40]), EPERM); // AF_VSOCK
    assert.equal(decide(plain, "socket", [39]), ALLOW);
    assert.equal(decide(plain, "socket", [38]), EPERM); // AF_ALG... is 38
    assert.equal(decide(plain, "personality", [0xffffffff]), ALLOW);
    assert.equal(decide(plain, "personality", [0x0008]), ALLOW);
    assert.equal(decide(plain, "personality", [0x0400000]), EPERM); // ADDR_NO_RANDOMIZE... READ_IMPLIES_EXEC
    assert.equal(decide(plain, "personality", [0x1_0000_0000n]), EPERM); // high half must match too
  });

  it("caps gate extra syscalls", () => {
    const more = compileSeccomp(dockerDefaultProfile([...CAPS, "CAP_SYS_TIME", "CAP_SYS_MODULE"], { kernel: "6.18" })).program;
    assert.equal(decide(plain, "settimeofday"), EPERM);
    assert.equal(decide(more, "settimeofday"), ALLOW);
    assert.equal(decide(more, "init_module"), ALLOW);
  });
});

describe("seccomp compile: large profiles", () => {
  // Differential test against a direct evaluation of the same rules, with enough
  // conditional rules that jumps exceed 255 instructions and need trampolines.
  function rng(seed: number): () => number {
    let x = seed >>> 0;
    return () => ((x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0), x / 2 ** 32);
  }
  const OPS = ["SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"];
  const ACTS = ["SCMP_ACT_ERRNO", "SCMP_ACT_TRAP", "SCMP_ACT_LOG", "SCMP_ACT_KILL_PROCESS"];
  const holds = (op: string, a: bigint, v: bigint, v2: bigint): boolean =>
    op === "SCMP_CMP_EQ" ? a === v : op === "SCMP_CMP_NE" ? a !== v : op === "SCMP_CMP_LT" ? a < v : op === "SCMP_CMP_LE" ? a <= v
      : op === "SCMP_CMP_GT" ? a > v : op === "SCMP_CMP_GE" ? a >= v : (a & v) === v2;
  const retOf = (sc: SeccompSyscall): number =>
    sc.action === "SCMP_ACT_ERRNO" ? errno(sc.errnoRet ?? 1) : sc.action === "SCMP_ACT_TRAP" ? TRAP : sc.action === "SCMP_ACT_LOG" ? LOG : KILL_PROCESS;

  it("matches a reference evaluation and keeps every jump in range", () => {
    const r = rng(42);
    const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
    const names = [...SYSCALLS_X86_64.keys()];
    const small = [0n, 1n, 2n, 3n, 0x1_0000_0000n, 0x1_0000_0001n, 0xffff_ffffn];
    const syscalls: SeccompSyscall[] = [];
    for (let i = 0; i < 250; i++) {
      const nargs = Math.floor(r() * 3);
      const idx = [0, 1, 2, 3, 4, 5].sort(() => r() - 0.5).slice(0, nargs);
      syscalls.push({
        names: [pick(names), pick(names)],
        action: pick(ACTS),
        errnoRet: undefined,
        args: idx.map((index) => ({ index, op: pick(OPS), value: Number(pick(small)), valueTwo: Number(pick(small)) })),
      });
      const last = syscalls[syscalls.length - 1];
      if (last.action === "SCMP_ACT_ERRNO") last.errnoRet = 1 + Math.floor(r() * 100);
      else delete last.errnoRet;
      if (last.args?.length === 0) delete last.args;
    }
    const profile: Seccomp = { defaultAction: "SCMP_ACT_ALLOW", syscalls };
    const { program } = compileSeccomp(profile);
    // Twice the rules no longer fits the kernel's BPF_MAXINSNS.
    assert.throws(() => compileSeccomp({ ...profile, syscalls: [...syscalls, ...syscalls.map((sc) => ({ ...sc, names: [...sc.names].reverse() }))] }), /over the kernel limit of 4096/);
    const insns = decode(program);
    assert.ok(insns.length > 1024, `expected a big program, got ${insns.length}`);
    assert.ok(insns.some((i) => i.code === (BPF_JMP | BPF_JA)) || insns.length < 256, "expected long jumps");

    const reference = (d: SeccompData): number => {
      const args = (d.args ?? []).map((a) => BigInt(a));
      const matching = syscalls.filter((sc) => sc.names.some((n) => SYSCALLS_X86_64.get(n) === d.nr));
      const conditional = matching.filter((sc) => sc.args?.length);
      for (const sc of conditional) {
        if (sc.args!.every((a) => holds(a.op, args[a.index] ?? 0n, BigInt(a.value), BigInt(a.valueTwo ?? 0)))) return retOf(sc);
      }
      const uncond = matching.find((sc) => !sc.args?.length);
      return uncond ? retOf(uncond) : ALLOW;
    };
    let checked = 0;
    for (let i = 0; i < 4000; i++) {
      const nrv = i < 500 ? i : (SYSCALLS_X86_64.get(pick(names)) as number);
      const data: SeccompData = { nr: nrv, arch: X86_64, args: [0, 1, 2, 3, 4, 5].map(() => pick(small)) };
      assert.equal(runFilter(program, data), reference(data), `nr ${nrv} args ${data.args?.join(",")}`);
      checked++;
    }
    assert.equal(checked, 4000);
  });
});
