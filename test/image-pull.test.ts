// Pulling from a real registry (Debian's docker-registry), auth, digest checks, interruption.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, lstatSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startRegistry, type TestRegistry } from "./fixtures/registry.ts";
import { buildImage, buildIndex, busyboxImage, busyboxLayer, pushImageParts, sha256 } from "./fixtures/images.ts";
import { buildTar } from "../src/image/layer/tar.ts";

const root = mkdtempSync(join(tmpdir(), "berth-img-pull-"));
process.env.BERTH_ROOT = root;
const img = await import("../src/image/index.ts");

function storeIsEmpty(): void {
  const blobs = existsSync(join(root, "blobs/sha256")) ? readdirSync(join(root, "blobs/sha256")) : [];
  const layers = existsSync(join(root, "layers/sha256")) ? readdirSync(join(root, "layers/sha256")) : [];
  const tmp = existsSync(join(root, "layers/tmp")) ? readdirSync(join(root, "layers/tmp")) : [];
  assert.deepEqual({ images: img.listImages().length, layers, tmp }, { images: 0, layers: [], tmp: [] });
  // only the (verified) config blob may be there
  assert.ok(blobs.length <= 1, `blobs left: ${blobs.join(", ")}`);
}

async function reset(): Promise<void> {
  for (const i of img.listImages()) await img.removeImage(i.id, { force: true });
  await img.collectGarbage();
  rmSync(join(root, "blobs"), { recursive: true, force: true });
  rmSync(join(root, "ingest"), { recursive: true, force: true });
}

// every describe below uses `root`: remove it once they are all done
after(() => rmSync(root, { recursive: true, force: true }));

describe("image pull", () => {
  let reg: TestRegistry;
  const bb = busyboxImage();
  before(async () => {
    reg = await startRegistry();
    await pushImageParts(reg.host, "test/busybox", "latest", bb);
  });
  after(async () => {
    await reg?.stop();
  });

  it("pulls by tag, unpacks the layer, records the image", async () => {
    const events: string[] = [];
    const rec = await img.pullImage(`${reg.host}/test/busybox`, { onProgress: (e) => events.push(e.type) });
    assert.equal(rec.id, bb.configDigest);
    assert.deepEqual(rec.repoTags, [`${reg.host}/test/busybox:latest`]);
    assert.ok(rec.repoDigests.includes(`${reg.host}/test/busybox@${bb.manifestDigest}`));
    const [dir] = img.layerDirs(rec.id);
    assert.ok(lstatSync(join(dir!, "bin/busybox")).isFile());
    assert.equal(lstatSync(join(dir!, "bin/busybox")).mode & 0o777, 0o755);
    assert.ok(lstatSync(join(dir!, "bin/sh")).isSymbolicLink());
    assert.equal(lstatSync(join(dir!, "tmp")).mode & 0o7777, 0o1777);
    assert.equal(Math.floor(lstatSync(join(dir!, "etc/passwd")).mtimeMs / 1000), 1700000000);
    assert.deepEqual(img.imageConfig(`${reg.host}/test/busybox`).config?.Cmd, ["sh"]);
    assert.ok(events.includes("done"));
    assert.equal(img.resolveImage(rec.id.slice(7, 19)).id, rec.id);
  });

  it("pulls by digest", async () => {
    await reset();
    const rec = await img.pullImage(`${reg.host}/test/busybox@${bb.manifestDigest}`);
    assert.equal(rec.id, bb.configDigest);
    assert.deepEqual(rec.repoTags, []);
    assert.equal(img.resolveImage(`${reg.host}/test/busybox@${bb.manifestDigest}`).id, rec.id);
  });

  it("selects linux/amd64 from an index (and other platforms on request)", async () => {
    await reset();
    const arm = busyboxImage({ architecture: "arm64", variant: "v8", created: "2024-02-02T00:00:00Z" });
    const amd = busyboxImage({ created: "2024-03-03T00:00:00Z" });
    await pushImageParts(reg.host, "test/multi", undefined, arm);
    await pushImageParts(reg.host, "test/multi", undefined, amd);
    const idx = buildIndex([
      { img: arm, architecture: "arm64", variant: "v8" },
      { img: amd, architecture: "amd64" },
    ]);
    const idxDigest = await pushImageParts(reg.host, "test/multi", "latest", idx);
    const rec = await img.pullImage(`${reg.host}/test/multi:latest`, { platform: "linux/amd64" });
    assert.equal(rec.id, amd.configDigest);
    assert.equal(rec.manifestDigest, amd.manifestDigest);
    assert.equal(rec.indexDigest, idxDigest);
    assert.ok(rec.repoDigests.includes(`${reg.host}/test/multi@${idxDigest}`));
    const a = await img.pullImage(`${reg.host}/test/multi:latest`, { platform: "linux/arm64" });
    assert.equal(a.id, arm.configDigest);
    await assert.rejects(img.pullImage(`${reg.host}/test/multi:latest`, { platform: "linux/s390x" }), /no manifest for platform linux\/s390x/);
  });

  it("handles zstd and uncompressed layers, and docker schema2", async () => {
    await reset();
    for (const [name, o] of [
      ["zstd", { compression: "zstd" as const }],
      ["plain", { compression: "none" as const }],
      ["docker", { format: "docker" as const }],
    ] as const) {
      const i = busyboxImage({ ...o, created: `2024-04-0${name.length}T00:00:00Z` });
      await pushImageParts(reg.host, `test/${name}`, "v1", i);
      const rec = await img.pullImage(`${reg.host}/test/${name}:v1`);
      assert.equal(rec.id, i.configDigest, name);
      assert.ok(existsSync(join(img.layerDirs(rec.id)[0]!, "bin/busybox")));
    }
  });

  it("rejects a blob whose bytes don't match its digest, leaving nothing", async () => {
    await reset();
    const i = buildImage([buildTar([{ name: "f", type: "file", data: "x".repeat(100000) }])], { created: "2024-05-05T00:00:00Z" });
    await pushImageParts(reg.host, "test/corrupt", "latest", i);
    const layerDigest = [...i.blobs.keys()][0]!;
    const p = reg.blobDataPath(layerDigest);
    const bytes = readFileSync(p);
    bytes[bytes.length - 20] ^= 0xff; // same length, different content (gzip may or may not notice)
    writeFileSync(p, bytes);
    await assert.rejects(img.pullImage(`${reg.host}/test/corrupt`, { retries: 0 }), (e: Error) => {
      assert.match(e.message, new RegExp(layerDigest.replace(":", ":")));
      return true;
    });
    storeIsEmpty();
    assert.ok(!existsSync(join(root, "ingest", layerDigest.slice(7))), "corrupt partial download kept");
  });

  // The config is fetched while the layers download: its failures must still be what the pull reports.
  it("stops the layers and reports the config when the config is wrong (bytes, layer count, diff ID)", async () => {
    await reset();
    const base = buildImage([buildTar([{ name: "f", type: "file", data: "y".repeat(300000) }])], { created: "2024-05-06T00:00:00Z" });
    /** base's layers with another config */
    const withConfig = (cfg: Record<string, unknown>) => {
      const config = new TextEncoder().encode(JSON.stringify(cfg));
      const configDigest = sha256(config);
      const m = JSON.parse(new TextDecoder().decode(base.manifest));
      m.config = { ...m.config, digest: configDigest, size: config.length };
      const manifest = new TextEncoder().encode(JSON.stringify(m));
      const blobs = new Map([...base.blobs].filter(([d]) => d !== base.configDigest));
      blobs.set(configDigest, config);
      return { manifest, mediaType: base.mediaType, blobs, configDigest };
    };
    const cfg = JSON.parse(new TextDecoder().decode(base.config));
    const layerDiff = cfg.rootfs.diff_ids[0];
    const cases: [string, ReturnType<typeof withConfig>, RegExp][] = [
      ["count", withConfig({ ...cfg, rootfs: { type: "layers", diff_ids: [layerDiff, layerDiff] } }), /config lists 2 layers, manifest 1/],
      ["diffid", withConfig({ ...cfg, rootfs: { type: "layers", diff_ids: ["sha256:../../../etc"] } }), /invalid layer diff ID "sha256:..\/..\/..\/etc"/],
    ];
    // a config whose bytes don't match its digest
    const tampered = withConfig({ ...cfg, created: "2024-05-07T00:00:00Z" });
    cases.push(["bytes", tampered, new RegExp(tampered.configDigest)]);
    for (const [name, i, re] of cases) {
      await pushImageParts(reg.host, `test/badcfg-${name}`, "latest", i);
      if (name === "bytes") {
        const p = reg.blobDataPath(i.configDigest);
        const b = readFileSync(p);
        b[b.length - 3] ^= 0x01;
        writeFileSync(p, b);
      }
      await assert.rejects(img.pullImage(`${reg.host}/test/badcfg-${name}`, { retries: 0 }), re, name);
      const layers = existsSync(join(root, "layers/sha256")) ? readdirSync(join(root, "layers/sha256")) : [];
      const tmp = existsSync(join(root, "layers/tmp")) ? readdirSync(join(root, "layers/tmp")) : [];
      assert.deepEqual({ images: img.listImages().length, layers, tmp }, { images: 0, layers: [], tmp: [] }, name);
      // a verified config may stay (as before the layers started early); a corrupt one may not
      if (name === "bytes") assert.ok(!existsSync(join(root, "blobs/sha256", i.configDigest.slice(7))), "corrupt config stored");
    }
  });

  it("stores, without unpacking it again, a blob downloaded before the config said its layer is there", async () => {
    await reset();
    const tar = buildTar([{ name: "shared", type: "file", data: "z".repeat(200000) }]);
    const gz = buildImage([tar], { created: "2024-05-08T00:00:00Z" });
    const plain = buildImage([tar], { compression: "none", created: "2024-05-09T00:00:00Z" });
    await pushImageParts(reg.host, "test/shared-gz", "latest", gz);
    await pushImageParts(reg.host, "test/shared-plain", "latest", plain);
    const a = await img.pullImage(`${reg.host}/test/shared-gz`);
    const dirA = img.layerDirs(a.id)[0]!;
    const ino = lstatSync(dirA).ino;
    const b = await img.pullImage(`${reg.host}/test/shared-plain`);
    assert.equal(img.layerDirs(b.id)[0], dirA);
    assert.equal(lstatSync(dirA).ino, ino);
    assert.equal(readFileSync(join(dirA, "shared"), "utf8").length, 200000);
    const plainLayer = [...plain.blobs.keys()].find((d) => d !== plain.configDigest)!;
    assert.equal(sha256(readFileSync(join(root, "blobs/sha256", plainLayer.slice(7)))), plainLayer);
    assert.deepEqual(readdirSync(join(root, "layers/tmp")), []);
  });

  it("refuses a layer with a '..' entry", async () => {
    await reset();
    const evil = buildImage([buildTar([{ name: "ok", type: "file", data: "fine" }, { name: "a/../../escape", type: "file", data: "bad" }])], { created: "2024-06-06T00:00:00Z" });
    await pushImageParts(reg.host, "test/evil", "latest", evil);
    await assert.rejects(img.pullImage(`${reg.host}/test/evil`), /refusing layer entry "a\/..\/..\/escape": path contains '..'/);
    storeIsEmpty();
    assert.ok(!existsSync(join(root, "..", "escape")));
  });

  it("survives a registry killed mid-blob: no half image, the next pull resumes and completes", async () => {
    await reset();
    // an incompressible 8 MB layer so the transfer takes a while through the throttling proxy
    const big = new Uint8Array(8 << 20);
    for (let o = 0; o < big.length; o += 65536) crypto.getRandomValues(big.subarray(o, o + 65536));
    const i = buildImage([busyboxLayer(), buildTar([{ name: "big.bin", type: "file", data: big }])], { created: "2024-07-07T00:00:00Z" });
    await pushImageParts(reg.host, "test/big", "latest", i);
    const bigDigest = [...i.blobs.keys()][1]!;
    const bigSize = i.blobs.get(bigDigest)!.length;
    // proxy: forwards to the registry slowly. Once 2 MB of the big blob's response went through it
    // kills the registry and cuts every connection: what the registry had already written into
    // socket buffers (several MB on loopback) must not reach the client, or the "interrupted"
    // blob may arrive whole. While the registry is down, connections are refused.
    let killed = false;
    let down = false;
    const bigRequests: string[] = [];
    const bigStatus: string[] = [];
    const sockets = new Set<Socket>();
    const proxy = createServer((client) => {
      if (down) return void client.destroy();
      sockets.add(client);
      const up = new (require("node:net").Socket)() as Socket;
      sockets.add(up);
      up.connect(reg.port, "127.0.0.1");
      /** bytes of the big blob's response forwarded on this connection (undefined: another request) */
      let bigBytes: number | undefined;
      client.on("data", (d: Buffer) => {
        const head = d.toString("latin1");
        if (/^(GET|HEAD) /.test(head)) {
          const isBig = head.startsWith("GET ") && head.includes(`/blobs/${bigDigest}`);
          bigBytes = isBig ? 0 : undefined;
          if (isBig) bigRequests.push(head.slice(0, head.indexOf("\r\n\r\n")));
        }
        up.write(d);
      });
      up.on("data", (d: Buffer) => {
        if (bigBytes === 0) bigStatus.push(d.toString("latin1", 0, d.indexOf("\r\n")));
        if (bigBytes !== undefined) bigBytes += d.length;
        client.write(d);
        if (!killed && bigBytes !== undefined && bigBytes > 2 << 20) {
          killed = true;
          down = true;
          reg.kill();
          for (const s of sockets) s.destroy();
          return;
        }
        up.pause();
        setTimeout(() => up.resume(), 2);
      });
      up.on("close", () => client.destroy());
      up.on("error", () => client.destroy());
      client.on("error", () => up.destroy());
      client.on("close", () => up.destroy());
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
    const port = (proxy.address() as { port: number }).port;
    const ref = `127.0.0.1:${port}/test/big:latest`;
    try {
      await assert.rejects(img.pullImage(ref, { retries: 1, retryDelayMs: 10, concurrency: 1 }));
      assert.ok(killed, "registry was not killed mid-transfer");
      assert.equal(img.listImages().length, 0);
      assert.equal(existsSync(join(root, "layers/tmp")) ? readdirSync(join(root, "layers/tmp")).length : 0, 0);
      assert.ok(!existsSync(join(root, "blobs/sha256", bigDigest.slice(7))), "the big blob was not interrupted");
      const partial = join(root, "ingest", bigDigest.slice(7));
      const partialSize = existsSync(partial) ? lstatSync(partial).size : 0;
      assert.ok(partialSize > 0 && partialSize < bigSize, `expected a partial download to resume from (have ${partialSize} of ${bigSize} bytes)`);
      assert.equal(bigRequests.length, 1, "the big blob was requested once before the registry died");
      await reg.restart();
      down = false;
      const rec = await img.pullImage(ref, { retries: 1, retryDelayMs: 10 });
      assert.equal(rec.id, i.configDigest);
      const got = readFileSync(join(img.layerDirs(rec.id)[1]!, "big.bin"));
      assert.ok(Buffer.from(big).equals(got));
      // the second pull asked for the rest only, and the registry answered with a partial content
      assert.equal(bigRequests.length, 2, bigRequests.join("\n---\n"));
      assert.match(bigRequests[1]!, new RegExp(`^range: bytes=${partialSize}-\\r?$`, "im"));
      assert.match(bigStatus[1]!, /^HTTP\/1\.1 206 /);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => proxy.close(r));
    }
  });
});

describe("registry auth", () => {
  for (const kind of ["basic", "token"] as const) {
    it(`${kind} auth: refused without credentials, pulls after login`, async () => {
      const reg = await startRegistry({ auth: kind });
      try {
        const creds = { username: "tester", password: "secret" };
        const i = busyboxImage({ created: "2024-08-08T00:00:00Z" });
        await pushImageParts(reg.host, "test/private", "latest", i, creds);
        await assert.rejects(img.pullImage(`${reg.host}/test/private`, { retries: 0 }), /unauthorized|authentication/);
        await assert.rejects(img.login(reg.host, "tester", "wrong"), /unauthorized|authentication failed/);
        await img.login(reg.host, "tester", "secret");
        const cfg = JSON.parse(readFileSync(join(root, "config.json"), "utf8")) as { auths: Record<string, { auth: string }> };
        assert.equal(Buffer.from(cfg.auths[reg.host]!.auth, "base64").toString(), "tester:secret");
        const rec = await img.pullImage(`${reg.host}/test/private`);
        assert.equal(rec.id, i.configDigest);
        assert.equal(img.logout(reg.host).removed, true);
      } finally {
        await reg.stop();
      }
    });
  }
});

void sha256;
