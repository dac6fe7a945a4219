// Loads compiled filters into a real kernel: a child Bun process installs the program
// with seccomp(2) via bun:ffi (TSYNC, since Bun is multithreaded) and then probes a few
// syscalls, printing errno values as JSON.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Seccomp } from "../src/runtime/spec.ts";
import { dockerDefaultProfile } from "../src/runtime/seccomp/default-profile.ts";

const SECCOMP_DIR = resolve(import.meta.dir, "../src/runtime/seccomp");

const CHILD = `
import { dlopen, FFIType, read } from "bun:ffi";
import { mkdirSync, rmdirSync } from "node:fs";
import { compileSeccomp } from ${JSON.stringify(join(SECCOMP_DIR, "compile.ts"))};
import { installFilter, SECCOMP_FILTER_FLAG_TSYNC } from ${JSON.stringify(join(SECCOMP_DIR, "install-ffi.ts"))};
const [profileJson, dir] = process.argv.slice(2);
const libc = dlopen("libc.so.6", {
  unshare: { args: [FFIType.i32], returns: FFIType.i32 },
  __errno_location: { args: [], returns: FFIType.ptr },
});
const errno = () => { const p = libc.symbols.__errno_location(); return p === null ? -1 : read.i32(p, 0); };
const c = compileSeccomp(JSON.parse(profileJson));
installFilter(c.program, c.flags | SECCOMP_FILTER_FLAG_TSYNC);
const out = {};
const probe = (name, fn) => { try { fn(); out[name] = 0; } catch (e) { out[name] = Math.abs(e.errno); } };
probe("mkdir700", () => { mkdirSync(dir + "/a", 0o700); rmdirSync(dir + "/a"); });
probe("mkdir755", () => { mkdirSync(dir + "/b", 0o755); rmdirSync(dir + "/b"); });
probe("kill0", () => process.kill(process.pid, 0));
out.unshareUts = libc.symbols.unshare(0x04000000) === 0 ? 0 : errno();
console.log(JSON.stringify(out));
`;

interface Probes { mkdir700: number; mkdir755: number; kill0: number; unshareUts: number }

function runUnder(profile: Seccomp): Probes {
  const dir = mkdtempSync(join(tmpdir(), "berth-seccomp-"));
  try {
    const script = join(dir, "child.ts");
    writeFileSync(script, CHILD);
    const r = spawnSync(process.execPath, [script, JSON.stringify(profile), dir], { encoding: "utf8", timeout: 30_000 });
    assert.equal(r.status, 0, `child failed: ${r.stderr}`);
    const last = r.stdout.trim().split("\n").pop() ?? "";
    return JSON.parse(last) as Probes;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const ENOTBLK = 15;
const EPERM = 1;

describe("seccomp in the kernel", { skip: process.getuid?.() !== 0 ? "needs root (unshare probe)" : false }, () => {
  it("control: with an allow-all filter every probe succeeds", () => {
    assert.deepEqual(runUnder({ defaultAction: "SCMP_ACT_ALLOW" }), { mkdir700: 0, mkdir755: 0, kill0: 0, unshareUts: 0 });
  });

  it("ERRNO rules with MASKED_EQ / EQ argument conditions behave as in the interpreter", () => {
    const noGroupOther = { value: 0o077, valueTwo: 0, op: "SCMP_CMP_MASKED_EQ" };
    const got = runUnder({
      defaultAction: "SCMP_ACT_ALLOW",
      syscalls: [
        { names: ["mkdir"], action: "SCMP_ACT_ERRNO", errnoRet: ENOTBLK, args: [{ index: 1, ...noGroupOther }] },
        { names: ["mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: ENOTBLK, args: [{ index: 2, ...noGroupOther }] },
        { names: ["kill"], action: "SCMP_ACT_ERRNO", errnoRet: ENOTBLK, args: [{ index: 1, value: 0, op: "SCMP_CMP_EQ" }] },
      ],
    });
    assert.deepEqual(got, { mkdir700: ENOTBLK, mkdir755: 0, kill0: ENOTBLK, unshareUts: 0 });
  });

  it("Docker's default profile: the runtime keeps working, unshare gets EPERM", () => {
    const got = runUnder(dockerDefaultProfile(["CAP_CHOWN", "CAP_SETUID", "CAP_SETGID", "CAP_KILL"]));
    assert.deepEqual(got, { mkdir700: 0, mkdir755: 0, kill0: 0, unshareUts: EPERM });
  });
});
