// Volumes and `system df` through bin/berth (build first: sh scripts/build.sh), as a user
// drives them; container records are faked where a container must use a volume.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chownSync, chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readlinkSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = mkdtempSync(join(tmpdir(), "berth-vol-"));
process.env.BERTH_ROOT = root;
const BIN = process.env.BERTH_TEST_BIN ?? resolve(import.meta.dir, "../bin/berth");
const vols = await import("../src/engine/volumes/index.ts");

function berth(args: string[], input?: string): { code: number; out: string; err: string } {
  const r = spawnSync(BIN, args, { env: { ...process.env, BERTH_ROOT: root }, input: input ?? "" });
  return { code: r.status ?? -1, out: r.stdout.toString(), err: r.stderr.toString() };
}
function ok(args: string[], input?: string): string {
  const r = berth(args, input);
  assert.equal(r.code, 0, `berth ${args.join(" ")}: ${r.err}${r.out}`);
  return r.out;
}
/** A container record as the engine writes it (only the fields volumes and df read). */
function fakeContainer(id: string, o: { volumes: string[]; status?: string; pid?: number; diffBytes?: number }): void {
  const dir = join(root, "containers", id);
  mkdirSync(join(dir, "diff"), { recursive: true });
  writeFileSync(join(dir, "config.json"), JSON.stringify({ id, name: `c-${id.slice(0, 4)}`, image: "sha256:" + "0".repeat(64), command: "sh", created: new Date().toISOString(), volumes: o.volumes, status: o.status ?? "exited", pid: o.pid ?? 0 }));
  if (o.diffBytes) writeFileSync(join(dir, "diff", "f"), Buffer.alloc(o.diffBytes));
}
const reset = () => {
  rmSync(join(root, "volumes"), { recursive: true, force: true });
  rmSync(join(root, "containers"), { recursive: true, force: true });
};

before(() => {
  const r = berth(["volume", "ls"]);
  assert.equal(r.code, 0, `bin/berth lacks volume commands (rebuild: sh scripts/build.sh): ${r.err}`);
});
after(() => rmSync(root, { recursive: true, force: true }));

describe("volume commands", () => {
  before(reset);

  it("create: named (positional or --name), anonymous gets a 64-hex name, repeat is a no-op", () => {
    assert.equal(ok(["volume", "create", "data"]), "data\n");
    assert.equal(ok(["volume", "create", "--name", "web.cache_1", "--label", "tier=web", "--label", "keep", "-o", "type=tmpfs", "--opt", "device=tmpfs"]), "web.cache_1\n");
    assert.equal(ok(["volume", "create", "data"]), "data\n");
    const anon = ok(["volume", "create"]).trim();
    assert.match(anon, /^[0-9a-f]{64}$/);
    assert.ok(existsSync(join(root, "volumes", "data", "_data")));
    const both = berth(["volume", "create", "--name", "x1", "x2"]);
    assert.equal(both.code, 125);
    assert.match(both.err, /conflicting options: either specify --name or provide positional arg, not both/);
  });

  it("create refuses bad names, unknown drivers and options with Docker's errors", () => {
    for (const bad of ["a/b", "x", "-dash", ".hidden", "sp ace"]) {
      const r = berth(["volume", "create", "--", bad]);
      assert.equal(r.code, 1, bad);
      assert.match(r.err, new RegExp(`create ${bad.replace(/[.]/g, "\\.")}: "${bad.replace(/[.]/g, "\\.")}" includes invalid characters for a local volume name, only "\\[a-zA-Z0-9\\]\\[a-zA-Z0-9_.-\\]" are allowed`));
    }
    const d = berth(["volume", "create", "-d", "nfs", "v1"]);
    assert.equal(d.code, 1);
    assert.match(d.err, /error looking up volume plugin nfs: plugin "nfs" not found/);
    const o = berth(["volume", "create", "--opt", "bogus=1", "v2"]);
    assert.equal(o.code, 1);
    assert.match(o.err, /invalid option: "bogus"/);
    assert.doesNotMatch(ok(["volume", "ls", "-q"]), /^(x|v1|v2)$/m);
  });

  it("ls: table, -q, --filter name/label/dangling, --format", () => {
    const lines = ok(["volume", "ls"]).trimEnd().split("\n");
    assert.equal(lines[0], "DRIVER    VOLUME NAME");
    assert.deepEqual(lines.slice(1).map((l) => l.split(/\s+/)[0]), ["local", "local", "local"]);
    assert.match(lines.slice(1).join("\n"), /^local     data$/m);
    assert.equal(ok(["volume", "ls", "-q", "--filter", "name=web"]), "web.cache_1\n");
    assert.equal(ok(["volume", "ls", "-q", "--filter", "label=tier=web"]), "web.cache_1\n");
    assert.equal(ok(["volume", "ls", "-q", "--filter", "label=keep"]), "web.cache_1\n");
    assert.equal(ok(["volume", "ls", "-q", "--filter", "label=tier=db"]), "");
    assert.equal(ok(["volume", "ls", "--format", "{{.Name}}|{{.Driver}}|{{.Labels}}", "--filter", "name=web"]), "web.cache_1|local|keep=,tier=web\n");
    const bad = berth(["volume", "ls", "--filter", "colour=red"]);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /invalid filter 'colour'/);
  });

  it("inspect: Docker's JSON shape, -f templates, missing volume", () => {
    const doc = JSON.parse(ok(["volume", "inspect", "web.cache_1"])) as Record<string, unknown>[];
    assert.equal(doc.length, 1);
    assert.deepEqual(Object.keys(doc[0]!), ["CreatedAt", "Driver", "Labels", "Mountpoint", "Name", "Options", "Scope"]);
    assert.deepEqual(doc[0], {
      CreatedAt: doc[0]!.CreatedAt,
      Driver: "local",
      Labels: { tier: "web", keep: "" },
      Mountpoint: join(root, "volumes", "web.cache_1", "_data"),
      Name: "web.cache_1",
      Options: { type: "tmpfs", device: "tmpfs" },
      Scope: "local",
    });
    assert.match(String(doc[0]!.CreatedAt), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.ok(Math.abs(Date.parse(String(doc[0]!.CreatedAt)) - Date.now()) < 60_000);
    assert.equal(ok(["volume", "inspect", "-f", "{{.Name}} {{.Mountpoint}} {{index .Labels \"tier\"}}", "data"]), `data ${join(root, "volumes/data/_data")} <no value>\n`);
    const miss = berth(["volume", "inspect", "data", "nope"]);
    assert.equal(miss.code, 1);
    assert.match(miss.err, /Error: No such volume: nope/);
    assert.equal((JSON.parse(miss.out) as unknown[]).length, 1);
  });

  it("rm: refuses a volume a container uses (even with -f), -f ignores missing ones", () => {
    fakeContainer("a".repeat(64), { volumes: ["data"] });
    const r = berth(["volume", "rm", "data"]);
    assert.equal(r.code, 1);
    assert.equal(r.err, `Error response from daemon: remove data: volume is in use - [${"a".repeat(64)}]\n`);
    assert.equal(berth(["volume", "rm", "-f", "data"]).code, 1);
    assert.equal(ok(["volume", "ls", "-q", "--filter", "dangling=false"]), "data\n");
    assert.doesNotMatch(ok(["volume", "ls", "-q", "--filter", "dangling=true"]), /^data$/m);
    const miss = berth(["volume", "rm", "nope"]);
    assert.equal(miss.code, 1);
    assert.match(miss.err, /get nope: no such volume/);
    assert.equal(ok(["volume", "rm", "-f", "nope"]), "nope\n");
    // the API's force overrides the in-use check (the engine's rm -v)
    assert.throws(() => vols.removeVolume("data"), vols.VolumeInUseError);
    rmSync(join(root, "containers"), { recursive: true });
    assert.equal(ok(["volume", "rm", "data"]), "data\n");
    assert.ok(!existsSync(join(root, "volumes", "data")));
    assert.throws(() => vols.getVolume("data"), /get data: no such volume/);
  });

  it("prune: anonymous unused volumes; -a all unused; --filter label; asks first without -f", () => {
    reset();
    const anonUsed = vols.createVolume({}).name;
    const anonFree = vols.createVolume({}).name;
    vols.createVolume({ name: "named1", labels: { env: "dev" } });
    vols.createVolume({ name: "named2" });
    vols.createVolume({ name: "named3", labels: { env: "dev" } });
    writeFileSync(join(root, "volumes", anonFree, "_data", "blob"), Buffer.alloc(1234));
    fakeContainer("b".repeat(64), { volumes: [anonUsed, "named3"] });
    assert.equal(ok(["volume", "prune"], "n\n"), "WARNING! This will remove anonymous local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] ");
    assert.equal(ok(["volume", "ls", "-q"]).trim().split("\n").length, 5);
    assert.equal(ok(["volume", "prune", "-f"]), `Deleted Volumes:\n${anonFree}\n\nTotal reclaimed space: 1.23kB\n`);
    assert.equal(ok(["volume", "prune", "-f", "-a", "--filter", "label=env=dev"]), "Deleted Volumes:\nnamed1\n\nTotal reclaimed space: 0B\n");
    assert.equal(ok(["volume", "prune", "-a"], "y\n"), "WARNING! This will remove all local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] Deleted Volumes:\nnamed2\n\nTotal reclaimed space: 0B\n");
    assert.deepEqual(ok(["volume", "ls", "-q"]).trim().split("\n").sort(), [anonUsed, "named3"].sort());
  });
});

describe("populateVolume", () => {
  it("copies the image's content with owners, modes and symlinks, once, into an empty volume", () => {
    const src = mkdtempSync(join(tmpdir(), "berth-vol-src-"));
    try {
      mkdirSync(join(src, "sub"));
      writeFileSync(join(src, "sub", "conf"), "hello\n");
      writeFileSync(join(src, "top"), "x");
      symlinkSync("sub/conf", join(src, "link"));
      chownSync(join(src, "sub", "conf"), 1234, 5678);
      chmodSync(join(src, "sub", "conf"), 0o640);
      chownSync(join(src, "sub"), 42, 43);
      chmodSync(join(src, "sub"), 0o710);
      chownSync(src, 7, 8);
      chmodSync(src, 0o750);
      const v = vols.ensureVolume("pop1");
      assert.equal(vols.populateVolume(v, src), true);
      const st = (p: string) => lstatSync(join(v.mountpoint, p));
      assert.equal(readFileSync(join(v.mountpoint, "sub", "conf"), "utf8"), "hello\n");
      assert.deepEqual([st("sub/conf").uid, st("sub/conf").gid, st("sub/conf").mode & 0o7777], [1234, 5678, 0o640]);
      assert.deepEqual([st("sub").uid, st("sub").gid, st("sub").mode & 0o7777], [42, 43, 0o710]);
      assert.ok(st("link").isSymbolicLink());
      assert.equal(readlinkSync(join(v.mountpoint, "link")), "sub/conf");
      assert.deepEqual([st("").uid, st("").gid, st("").mode & 0o7777], [7, 8, 0o750]);
      // not empty any more: a second use copies nothing
      writeFileSync(join(src, "later"), "y");
      assert.equal(vols.populateVolume(vols.ensureVolume("pop1"), src), false);
      assert.ok(!existsSync(join(v.mountpoint, "later")));
    } finally {
      rmSync(src, { recursive: true, force: true });
    }
  });
});

describe("system df", () => {
  it("counts and sizes containers' writable layers and volumes", () => {
    reset();
    vols.createVolume({ name: "used" });
    vols.createVolume({ name: "free" });
    writeFileSync(join(root, "volumes", "used", "_data", "a"), Buffer.alloc(3000));
    writeFileSync(join(root, "volumes", "free", "_data", "b"), Buffer.alloc(1500));
    fakeContainer("c".repeat(64), { volumes: ["used"], diffBytes: 500 });
    fakeContainer("d".repeat(64), { volumes: [], diffBytes: 250, status: "running", pid: process.pid });
    fakeContainer("e".repeat(64), { volumes: ["used"], diffBytes: 100, status: "running", pid: 999_999_999 }); // its process is gone: not active
    mkdirSync(join(root, "containers", "half-made")); // no config.json yet: ignored
    const lines = ok(["system", "df"]).trimEnd().split("\n");
    assert.deepEqual(lines, [
      "TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE",
      "Images          0         0         0B        0B",
      "Containers      3         1         850B      600B (70%)",
      "Local Volumes   2         1         4.5kB     1.5kB (33%)",
      "Build Cache     0         0         0B        0B",
    ]);
    assert.equal(ok(["system", "df", "--format", "{{.Type}}={{.TotalCount}}/{{.Active}}"]), "Images=0/0\nContainers=3/1\nLocal Volumes=2/1\nBuild Cache=0/0\n");
    const v = ok(["system", "df", "-v"]);
    assert.match(v, /Local Volumes space usage:\n\nVOLUME NAME\s+LINKS\s+SIZE\nfree\s+0\s+1.5kB\nused\s+2\s+3kB\n/);
    assert.match(v, /Containers space usage:\n\nCONTAINER ID\s+IMAGE\s+COMMAND\s+LOCAL VOLUMES\s+SIZE\s+CREATED\s+STATUS\s+NAMES\n/);
    assert.match(v, new RegExp(`^${"c".repeat(12)}\\s+000000000000\\s+"sh"\\s+1\\s+500B\\s+Less than a second ago\\s+exited\\s+c-cccc$`, "m"));
    assert.match(v, new RegExp(`^${"d".repeat(12)}\\s+000000000000\\s+"sh"\\s+0\\s+250B\\s+.*running\\s+c-dddd$`, "m"));
  });
});
