// Rootless: berth-runtime run by an ordinary user. User namespace maps written by Debian's
// newuidmap/newgidmap (multi-range, from /etc/subuid), device nodes bind-mounted, no cgroup.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chownSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RUNTIME, rootfs, cleanupRootfs } from "./fixtures/bundle.ts";
import { defaultSpec } from "../src/runtime/default-spec.ts";
import type { Spec } from "../src/runtime/spec.ts";

const USER = "berthtest";
let createdUser = false;
let uid = 0;
let sub = { start: 0, size: 0 };
let work: string;

function sh(cmd: string, args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  return { code: r.status ?? 1, out: r.stdout ?? "", err: r.stderr ?? "" };
}

/** run berth-runtime as the unprivileged user */
function asUser(args: string[], cwd: string): { code: number; out: string; err: string } {
  const r = spawnSync("runuser", ["-u", USER, "--", "env", `XDG_RUNTIME_DIR=${work}/xdg`, RUNTIME, ...args], { cwd, encoding: "utf8", timeout: 30_000 });
  return { code: r.status ?? 1, out: r.stdout ?? "", err: r.stderr ?? "" };
}

function bundleFor(edit: (s: Spec) => void): string {
  const dir = mkdtempSync(join(work, "bundle-"));
  cpSync(rootfs(), join(dir, "rootfs"), { recursive: true, verbatimSymlinks: true });
  const spec = defaultSpec({ rootless: true, terminal: false });
  spec.linux!.uidMappings = [{ containerID: 0, hostID: uid, size: 1 }];
  spec.linux!.gidMappings = [{ containerID: 0, hostID: uid, size: 1 }];
  spec.root!.readonly = false;
  edit(spec);
  writeFileSync(join(dir, "config.json"), JSON.stringify(spec));
  sh("chown", ["-R", `${USER}:${USER}`, dir]);
  return dir;
}

before(() => {
  if (sh("id", ["-u", USER]).code !== 0) {
    assert.equal(sh("useradd", ["-M", "-s", "/bin/sh", USER]).code, 0);
    createdUser = true;
  }
  uid = Number(sh("id", ["-u", USER]).out.trim());
  let line = readFileSync("/etc/subuid", "utf8").split("\n").find((l) => l.startsWith(`${USER}:`));
  if (!line) {
    assert.equal(sh("usermod", ["--add-subuids", "400000-465535", "--add-subgids", "400000-465535", USER]).code, 0);
    line = `${USER}:400000:65536`;
  }
  const [, start, size] = line.split(":");
  sub = { start: Number(start), size: Number(size) };
  work = mkdtempSync(join(tmpdir(), "berth-rootless-"));
  chownSync(work, uid, uid);
});

after(() => {
  rmSync(work, { recursive: true, force: true });
  cleanupRootfs();
  if (createdUser) sh("userdel", [USER]);
});

describe("rootless", () => {
  it("runs as root of a user namespace mapped to the calling user", () => {
    const b = bundleFor((s) => (s.process!.args = ["sh", "-c", "id -u; cat /proc/self/uid_map; touch /tmp/made; echo $$"]));
    const r = asUser(["run", "rl-1"], b);
    assert.equal(r.code, 0, r.err);
    const lines = r.out.trim().split("\n");
    assert.equal(lines[0], "0");
    assert.deepEqual(lines[1]!.trim().split(/\s+/), ["0", String(uid), "1"]);
    assert.equal(lines[2], "1");
    // the file belongs to the user on the host, not to root
    assert.equal(Number(sh("stat", ["-c", "%u", join(b, "rootfs/tmp/made")]).out.trim()), uid);
    assert.ok(existsSync(join(work, "xdg/berth-runtime")), "state under $XDG_RUNTIME_DIR");
  });

  it("maps several ranges through newuidmap/newgidmap (from /etc/subuid)", () => {
    const b = bundleFor((s) => {
      s.linux!.uidMappings = [{ containerID: 0, hostID: uid, size: 1 }, { containerID: 1, hostID: sub.start, size: 1000 }];
      s.linux!.gidMappings = [{ containerID: 0, hostID: uid, size: 1 }, { containerID: 1, hostID: sub.start, size: 1000 }];
      s.process!.args = ["sh", "-c", "cat /proc/self/uid_map | wc -l; touch /tmp/f && chown 7:7 /tmp/f && echo chowned"];
      const caps = ["CAP_CHOWN", "CAP_KILL"];
      s.process!.capabilities = { bounding: caps, effective: caps, permitted: caps };
    });
    const r = asUser(["run", "rl-2"], b);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(r.out.trim().split("\n"), ["2", "chowned"]);
    assert.equal(Number(sh("stat", ["-c", "%u", join(b, "rootfs/tmp/f")]).out.trim()), sub.start + 6);
  });

  it("refuses a range the user does not own, naming newuidmap", () => {
    const b = bundleFor((s) => {
      s.linux!.uidMappings = [{ containerID: 0, hostID: 0, size: 1 }];
      s.linux!.gidMappings = [{ containerID: 0, hostID: 0, size: 1 }];
    });
    const r = asUser(["run", "rl-3"], b);
    assert.notEqual(r.code, 0);
    assert.match(r.err, /newuidmap.*(EPERM|exited with status)/);
  });

  it("refuses resource limits it cannot apply without a cgroup", () => {
    const b = bundleFor((s) => (s.linux!.resources = { memory: { limit: 64 << 20 } }));
    const r = asUser(["run", "rl-4"], b);
    assert.notEqual(r.code, 0);
    assert.match(r.err, /cannot apply memory/);
    assert.ok(!existsSync(join(work, "xdg/berth-runtime/rl-4")), "no state left");
  });
});
