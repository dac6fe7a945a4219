// The image commands end to end through the berth CLI, against a real registry.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startRegistry, type TestRegistry } from "./fixtures/registry.ts";
import { busyboxImage, pushImageParts, whiteoutImage, busyboxLayer } from "./fixtures/images.ts";
import { RegistryClient } from "../src/image/registry/client.ts";

const root = mkdtempSync(join(tmpdir(), "berth-img-cli-"));
process.env.BERTH_ROOT = root;
const img = await import("../src/image/index.ts");
const BERTH = resolve(import.meta.dir, "../src/cli/berth.ts");
const BUN = resolve(import.meta.dir, "../scripts/bun");

function berth(args: string[], input?: string | Uint8Array): { code: number; out: string; err: string } {
  const r = spawnSync(BUN, [BERTH, ...args], { env: { ...process.env, BERTH_ROOT: root }, input, maxBuffer: 1 << 28 });
  return { code: r.status ?? -1, out: r.stdout.toString(), err: r.stderr.toString() };
}

function ok(args: string[], input?: string | Uint8Array): string {
  const r = berth(args, input);
  assert.equal(r.code, 0, `berth ${args.join(" ")} failed: ${r.err}${r.out}`);
  return r.out;
}

/** Mount the image's overlay in a temp dir, run fn(merged), unmount. */
function withOverlay<T>(image: string, fn: (merged: string) => T): T {
  const cdir = mkdtempSync(join(tmpdir(), "berth-ctr-"));
  const merged = join(cdir, "merged");
  mkdirSync(merged);
  const m = img.rootfsMounts(image, cdir);
  const r = spawnSync("mount", ["-t", "overlay", "overlay", "-o", m.options, merged], { encoding: "utf8" });
  assert.equal(r.status, 0, `mount failed: ${r.stderr}`);
  try {
    return fn(merged);
  } finally {
    spawnSync("umount", [merged]);
    rmSync(cdir, { recursive: true, force: true });
  }
}

describe("image commands", () => {
  let reg: TestRegistry;
  let ref: string;
  const bb = busyboxImage();
  before(async () => {
    reg = await startRegistry();
    await pushImageParts(reg.host, "test/busybox", "latest", bb);
    await pushImageParts(reg.host, "test/whiteouts", "latest", whiteoutImage());
    ref = `${reg.host}/test/busybox`;
  });
  after(async () => {
    await reg?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it("pull prints Docker's plain progress and the reference; -q only the reference", () => {
    const out = ok(["pull", ref]);
    assert.match(out, /^Using default tag: latest\nlatest: Pulling from test\/busybox\n/);
    assert.match(out, new RegExp(`${bb.manifestDigest.slice(7, 19)}|Pull complete`));
    assert.match(out, new RegExp(`Digest: ${bb.manifestDigest}\\nStatus: Downloaded newer image for ${reg.host}/test/busybox:latest\\n${reg.host}/test/busybox:latest\\n$`));
    assert.equal(ok(["pull", "-q", ref]), `${reg.host}/test/busybox:latest\n`);
    assert.match(ok(["pull", ref]), /Status: Image is up to date/);
    const bad = berth(["pull", "Foo/Bar"]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.err, /invalid reference format "Foo\/Bar": repository name must be lowercase/);
  });

  it("images / image ls: table, -q, --digests, --filter, --format", () => {
    const table = ok(["images"]);
    const [head, row] = table.trim().split("\n");
    assert.match(head!, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$/);
    assert.match(row!, new RegExp(`^${reg.host}/test/busybox\\s+latest\\s+${bb.configDigest.slice(7, 19)}\\s+\\d+ (months|years|weeks|days) ago\\s+[\\d.]+MB$`));
    assert.equal(ok(["image", "ls", "-q"]), `${bb.configDigest.slice(7, 19)}\n`);
    assert.match(ok(["images", "--digests"]), new RegExp(`DIGEST[\\s\\S]*${bb.manifestDigest}`));
    assert.equal(ok(["images", "--format", "{{.Repository}}:{{.Tag}}"]), `${reg.host}/test/busybox:latest\n`);
    assert.equal(ok(["images", "--filter", "dangling=true", "-q"]), "");
    assert.equal(ok(["images", "--filter", "reference=*/test/busy*", "--format", "{{.ID}}"]), `${bb.configDigest.slice(7, 19)}\n`);
    assert.equal(ok(["images", "--format", "{{json .Tag}}"]), `"latest"\n`);
  });

  it("tag, image inspect, history", () => {
    ok(["tag", ref, "mybox:v1"]);
    const doc = JSON.parse(ok(["image", "inspect", "mybox:v1"])) as { Id: string; RepoTags: string[]; Config: { Cmd: string[] }; RootFS: { Layers: string[] } }[];
    assert.equal(doc[0]!.Id, bb.configDigest);
    assert.deepEqual(doc[0]!.RepoTags.sort(), [`${reg.host}/test/busybox:latest`, "mybox:v1"].sort());
    assert.deepEqual(doc[0]!.Config.Cmd, ["sh"]);
    assert.equal(ok(["image", "inspect", "-f", "{{.Os}}/{{.Architecture}} {{json .Config.Cmd}}", "mybox:v1"]), 'linux/amd64 ["sh"]\n');
    const h = ok(["history", "mybox:v1"]);
    assert.match(h, /^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT\n/);
    assert.match(h, /ADD busybox/);
    const miss = berth(["image", "inspect", "nope"]);
    assert.equal(miss.code, 1);
    assert.match(miss.err, /No such image: nope/);
  });

  it("rmi refuses an image a container uses unless -f; untags one of several names", () => {
    const cdir = join(root, "containers", "c0ffee");
    mkdirSync(cdir, { recursive: true });
    writeFileSync(join(cdir, "config.json"), JSON.stringify({ id: "c0ffee", image: bb.configDigest }));
    assert.equal(ok(["rmi", "mybox:v1"]), "Untagged: mybox:v1\n");
    const r = berth(["rmi", ref]);
    assert.equal(r.code, 1);
    assert.match(r.err, /conflict: unable to remove repository reference .* \(must force\) - container c0ffee is using its referenced image/);
    rmSync(join(root, "containers"), { recursive: true });
    const out = ok(["rmi", ref]);
    assert.match(out, new RegExp(`Untagged: ${reg.host}/test/busybox:latest\\n[\\s\\S]*Deleted: ${bb.configDigest}`));
    assert.equal(img.listImages().length, 0);
    assert.deepEqual(readdirSync(join(root, "layers/sha256")), []);
  });

  it("whiteouts hide lower files in the container's overlay view", () => {
    ok(["pull", "-q", `${reg.host}/test/whiteouts`]);
    const dirs = img.layerDirs(`${reg.host}/test/whiteouts`);
    assert.equal(dirs.length, 3);
    withOverlay(`${reg.host}/test/whiteouts`, (m) => {
      assert.ok(!existsSync(join(m, "etc/deleteme")), "whited-out file visible");
      assert.equal(readFileSync(join(m, "etc/keep"), "utf8"), "kept\n");
      assert.deepEqual(readdirSync(join(m, "data")), ["c"]);
      assert.ok(existsSync(join(m, "bin/busybox")));
      const r = spawnSync("chroot", [m, "/bin/sh", "-c", "cat /etc/keep; ls /data; test -e /etc/deleteme || echo gone"], { encoding: "utf8" });
      assert.equal(r.stdout, "kept\nc\ngone\n");
    });
  });

  it("push then pull round-trips byte-identical manifests", async () => {
    ok(["pull", "-q", ref]);
    ok(["tag", ref, `${reg.host}/copy/busybox:rt`]);
    const out = ok(["push", `${reg.host}/copy/busybox:rt`]);
    assert.match(out, new RegExp(`The push refers to repository \\[${reg.host}/copy/busybox\\]`));
    assert.match(out, new RegExp(`rt: digest: ${bb.manifestDigest} size: ${bb.manifest.length}`));
    const c = new RegistryClient(reg.host);
    const m = await c.getManifest("copy/busybox", "rt");
    assert.ok(Buffer.from(m.bytes).equals(Buffer.from(bb.manifest)));
    ok(["rmi", `${reg.host}/copy/busybox:rt`]);
    ok(["pull", "-q", `${reg.host}/copy/busybox:rt`]);
    assert.equal(img.resolveImage(`${reg.host}/copy/busybox:rt`).manifestDigest, bb.manifestDigest);
  });

  it("save -> rmi -> load restores a runnable image", () => {
    const tar = join(root, "saved.tar");
    ok(["save", "-o", tar, ref]);
    const names = spawnSync("tar", ["tf", tar], { encoding: "utf8" }).stdout.split("\n");
    for (const n of ["oci-layout", "index.json", "manifest.json", `blobs/sha256/${bb.manifestDigest.slice(7)}`]) assert.ok(names.includes(n), `${n} missing from the archive`);
    ok(["rmi", "-f", bb.configDigest]);
    assert.equal(img.findImage(bb.configDigest), undefined);
    const out = ok(["load", "-i", tar]);
    assert.match(out, new RegExp(`Loaded image: ${reg.host}/test/busybox:latest`));
    const rec = img.resolveImage(ref);
    assert.equal(rec.id, bb.configDigest);
    assert.equal(rec.manifestDigest, bb.manifestDigest);
    withOverlay(rec.id, (m) => {
      const r = spawnSync("chroot", [m, "/bin/sh", "-c", "echo hello from $(cat /etc/hostname)"], { encoding: "utf8" });
      assert.equal(r.stdout, "hello from busybox\n");
    });
    // stdin works too, and a legacy docker-save archive (layer.tar per layer)
    ok(["rmi", "-f", bb.configDigest]);
    assert.match(ok(["load"], readFileSync(tar)), /Loaded image:/);
    const legacy = mkdtempSync(join(tmpdir(), "berth-legacy-"));
    try {
      mkdirSync(join(legacy, "abc"));
      writeFileSync(join(legacy, "abc/layer.tar"), busyboxLayer());
      writeFileSync(join(legacy, `${bb.configDigest.slice(7)}.json`), bb.config);
      writeFileSync(join(legacy, "manifest.json"), JSON.stringify([{ Config: `${bb.configDigest.slice(7)}.json`, RepoTags: ["legacy/box:1"], Layers: ["abc/layer.tar"] }]));
      spawnSync("tar", ["cf", join(legacy, "l.tar"), "-C", legacy, "abc", `${bb.configDigest.slice(7)}.json`, "manifest.json"]);
      assert.match(ok(["load", "-i", join(legacy, "l.tar")]), /Loaded image: legacy\/box:1/);
      assert.equal(img.resolveImage("legacy/box:1").id, bb.configDigest);
    } finally {
      rmSync(legacy, { recursive: true, force: true });
    }
  });

  it("import makes a one-layer image from a rootfs tar; export of a missing container fails naming it", () => {
    const id = ok(["import", "-c", "CMD [\"/bin/sh\"]", "-m", "hi", "-", "imported:v1"], busyboxLayer()).trim();
    assert.match(id, /^sha256:[a-f0-9]{64}$/);
    const cfg = img.imageConfig("imported:v1");
    assert.deepEqual(cfg.config?.Cmd, ["/bin/sh"]);
    assert.equal(cfg.history?.[0]?.comment, "hi");
    assert.ok(existsSync(join(img.layerDirs(id)[0]!, "bin/busybox")));
    // export is the engine's (test/engine-exec-cp.test.ts): here only its error for a container that doesn't exist
    const ex = berth(["export", "x"]);
    assert.equal(ex.code, 1);
    assert.match(ex.err, /No such container: x\n$/);
    assert.equal(ex.out, "");
  });

  it("image prune removes dangling images (and -a unused ones), login/logout", () => {
    ok(["tag", "imported:v1", "imported:v2"]);
    ok(["rmi", "imported:v1"]);
    ok(["rmi", "imported:v2"]); // deletes it
    ok(["tag", ref, "dangle:x"]);
    ok(["rmi", "dangle:x"]);
    const out = ok(["image", "prune", "-f"]);
    assert.match(out, /Total reclaimed space: /);
    const all = ok(["image", "prune", "-a", "-f"]);
    assert.match(all, /Deleted Images:/);
    assert.equal(img.listImages().length, 0);
    assert.deepEqual(readdirSync(join(root, "layers/sha256")), []);
    assert.deepEqual(readdirSync(join(root, "blobs/sha256")), []);
    const du = img.diskUsage();
    assert.equal(du.images.length, 0);
    assert.match(ok(["logout", reg.host]), /Not logged in/);
  });
});
