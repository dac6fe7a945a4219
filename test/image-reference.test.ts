// Reference parsing and normalisation, as Docker does it.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { familiarString, normalizeReference, parseReference, refString } from "../src/image/reference.ts";
import { selectPlatform, MT, type ImageIndex } from "../src/image/manifest.ts";
import { parseChallenge } from "../src/image/registry/auth.ts";
import { RegistryClient } from "../src/image/registry/client.ts";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const D = "sha256:" + "a".repeat(64);

describe("image references", () => {
  const cases: [string, string][] = [
    ["busybox", "docker.io/library/busybox:latest"],
    ["busybox:1.36", "docker.io/library/busybox:1.36"],
    ["user/app", "docker.io/user/app:latest"],
    ["docker.io/busybox", "docker.io/library/busybox:latest"],
    ["index.docker.io/library/busybox:x", "docker.io/library/busybox:x"],
    ["localhost/app", "localhost/app:latest"],
    ["localhost:5000/ns/name:tag", "localhost:5000/ns/name:tag"],
    ["127.0.0.1:5000/a/b/c", "127.0.0.1:5000/a/b/c:latest"],
    ["quay.io/org/img_x-y.z__w:v1.2-rc", "quay.io/org/img_x-y.z__w:v1.2-rc"],
    [`host:443/ns/name:tag@${D}`, `host:443/ns/name:tag@${D}`],
    [`busybox@${D}`, `docker.io/library/busybox@${D}`],
  ];
  for (const [input, want] of cases) {
    it(`${input} -> ${want}`, () => assert.equal(refString(normalizeReference(input)), want));
  }
  it("keeps the familiar form short", () => {
    assert.equal(familiarString(normalizeReference("busybox")), "busybox:latest");
    assert.equal(familiarString(normalizeReference("user/app:1")), "user/app:1");
    assert.equal(familiarString(normalizeReference("localhost:5000/x")), "localhost:5000/x:latest");
  });
  it("does not add a tag when only a digest is given", () => {
    const r = normalizeReference(`busybox@${D}`);
    assert.equal(r.tag, undefined);
    assert.equal(r.digest, D);
    assert.equal(parseReference("busybox").tag, undefined);
  });
  const bad: [string, RegExp][] = [
    ["", /empty/],
    ["Busybox", /must be lowercase/],
    ["busybox:", /invalid tag ""/],
    ["busybox:bad tag", /invalid tag/],
    [`busybox:${"x".repeat(129)}`, /invalid tag/],
    ["busybox@sha256:abc", /invalid digest "sha256:abc"/],
    ["busybox@md5:" + "a".repeat(32), /unsupported digest algorithm/],
    ["a//b", /empty path component/],
    ["-abc", /invalid repository name component "-abc"/],
    ["host:99999/x", /invalid port "99999"/],
    ["my_host.com/x", /invalid registry host/],
    [":tag", /repository name is empty/],
    ["a/" + "b".repeat(260), /longer than 255/],
  ];
  for (const [input, re] of bad) {
    it(`rejects ${JSON.stringify(input.slice(0, 40))}`, () => {
      assert.throws(() => parseReference(input), (e: Error) => {
        assert.match(e.message, /^invalid reference format/);
        assert.match(e.message, re);
        return true;
      });
    });
  }
});

describe("platform selection and auth challenges", () => {
  const idx: ImageIndex = {
    schemaVersion: 2,
    manifests: [
      { mediaType: MT.ociManifest, digest: "sha256:" + "1".repeat(64), size: 1, platform: { os: "linux", architecture: "arm", variant: "v6" } },
      { mediaType: MT.ociManifest, digest: "sha256:" + "2".repeat(64), size: 1, platform: { os: "linux", architecture: "arm", variant: "v7" } },
      { mediaType: MT.ociManifest, digest: "sha256:" + "3".repeat(64), size: 1, platform: { os: "linux", architecture: "amd64" } },
      { mediaType: MT.ociManifest, digest: "sha256:" + "4".repeat(64), size: 1, platform: { os: "unknown", architecture: "unknown" } },
    ],
  };
  it("chooses by os, architecture and variant", () => {
    assert.equal(selectPlatform(idx, { os: "linux", architecture: "amd64" })?.digest[7], "3");
    assert.equal(selectPlatform(idx, { os: "linux", architecture: "arm", variant: "v7" })?.digest[7], "2");
    assert.equal(selectPlatform(idx, { os: "linux", architecture: "arm", variant: "v5" }), undefined);
    assert.equal(selectPlatform(idx, { os: "linux", architecture: "s390x" }), undefined);
  });
  it("parses WWW-Authenticate", () => {
    assert.deepEqual(parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"'), {
      scheme: "bearer",
      params: { realm: "https://auth.docker.io/token", service: "registry.docker.io", scope: "repository:library/busybox:pull" },
    });
    assert.deepEqual(parseChallenge('Basic realm="x"'), { scheme: "basic", params: { realm: "x" } });
  });
});

// Which scheme a loopback registry is spoken to in: plain HTTP is asked first there (no TLS
// handshake at all for a plain registry), a TLS one still gets HTTPS, its certificate unchecked
// as Docker does for insecure registries.
describe("registry scheme on loopback", () => {
  it("speaks plain HTTP to a plain registry without trying TLS first", async () => {
    const { createServer } = await import("node:net");
    const firstBytes: number[] = [];
    const srv = createServer((sock) => {
      sock.once("data", (d: Buffer) => {
        firstBytes.push(d[0]!);
        sock.end("HTTP/1.1 200 OK\r\nDocker-Distribution-API-Version: registry/2.0\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}");
      });
      sock.on("error", () => undefined);
    });
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    try {
      const port = (srv.address() as { port: number }).port;
      const c = new RegistryClient(`127.0.0.1:${port}`, { retries: 0 });
      await c.ping();
      assert.ok(firstBytes.length >= 1);
      assert.ok(!firstBytes.includes(0x16), "a TLS handshake was sent to a plain-HTTP registry");
    } finally {
      srv.close();
    }
  });

  it("uses HTTPS (certificate not checked) for a TLS registry on loopback", async () => {
    const dir = mkdtempSync(join(tmpdir(), "berth-tls-"));
    try {
      const gen = spawnSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")], { stdio: "ignore" });
      assert.equal(gen.status, 0, "openssl");
      let seen = 0;
      const srv = Bun.serve({
        hostname: "127.0.0.1",
        port: 0,
        tls: { key: readFileSync(join(dir, "key.pem"), "utf8"), cert: readFileSync(join(dir, "cert.pem"), "utf8") },
        fetch(req) {
          if (new URL(req.url).pathname === "/v2/") seen++;
          return new Response("{}", { headers: { "docker-distribution-api-version": "registry/2.0" } });
        },
      });
      try {
        const c = new RegistryClient(`127.0.0.1:${srv.port}`, { retries: 0 });
        await c.ping();
        assert.ok(seen >= 1, "the registry was not reached over HTTPS");
      } finally {
        srv.stop(true);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
