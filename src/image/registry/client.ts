// A Docker Registry HTTP API v2 / OCI distribution-spec client over fetch.
import { createHash } from "node:crypto";
import { credentialsFor, isInsecure, isLoopback, type Credentials } from "../config.ts";
import { detectMediaType, MANIFEST_ACCEPT } from "../manifest.ts";
import { registryHost } from "../reference.ts";
import { Authorizer } from "./auth.ts";

export interface ClientOptions {
  credentials?: Credentials;
  /** allow plain HTTP (default: loopback and configured insecure registries only) */
  insecure?: boolean;
  retries?: number;
  retryDelayMs?: number;
}

export interface FetchedManifest {
  bytes: Uint8Array;
  mediaType: string;
  digest: string;
}

export class RegistryError extends Error {
  override name = "RegistryError";
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

interface ReqOpts {
  method?: string;
  headers?: Record<string, string>;
  body?: Uint8Array | Blob | string;
  scope: string;
  /** don't retry (bodies that cannot be replayed) */
  once?: boolean;
}

export function sha256(b: Uint8Array | string): string {
  return `sha256:${createHash("sha256").update(b).digest("hex")}`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether `url` (a registry's /v2/) answers as a registry does over plain HTTP: 200 or 401. */
async function speaksPlainHttp(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000), redirect: "manual" });
    await res.body?.cancel();
    return res.status === 200 || res.status === 401;
  } catch {
    return false;
  }
}

export class RegistryClient {
  readonly host: string;
  private readonly auth: Authorizer;
  private scheme: "https" | "http" | undefined;
  private readonly insecure: boolean;
  readonly retries: number;
  readonly retryDelayMs: number;

  constructor(
    readonly domain: string,
    opts: ClientOptions = {},
  ) {
    this.host = registryHost(domain);
    this.auth = new Authorizer(domain, opts.credentials ?? credentialsFor(domain));
    this.insecure = opts.insecure ?? isInsecure(domain);
    this.retries = opts.retries ?? 3;
    this.retryDelayMs = opts.retryDelayMs ?? 500;
  }

  static pullScope(repo: string): string {
    return `repository:${repo}:pull`;
  }
  static pushScope(repo: string): string {
    return `repository:${repo}:pull,push`;
  }

  private async base(): Promise<string> {
    if (this.scheme) return `${this.scheme}://${this.host}`;
    if (!this.insecure) return `${(this.scheme = "https")}://${this.host}`;
    // On loopback a plain-HTTP registry is the usual case (a local registry): ask it over HTTP
    // first, an anonymous GET /v2/. A registry answers 200 or 401; a TLS server answers plain HTTP
    // with 400 or hangs up, and gets the HTTPS probe. That probe (TLS set-up, a failed handshake)
    // took 5-13 ms of a cold pull here (bench/RESULTS.md).
    if (isLoopback(this.host) && (await speaksPlainHttp(`http://${this.host}/v2/`))) return `${(this.scheme = "http")}://${this.host}`;
    // Other insecure registries: HTTPS first, like Docker, then plain HTTP.
    try {
      await fetch(`https://${this.host}/v2/`, { signal: AbortSignal.timeout(5000), tls: { rejectUnauthorized: false } } as RequestInit);
      this.scheme = "https";
    } catch {
      this.scheme = "http";
    }
    return `${this.scheme}://${this.host}`;
  }

  /** Issue a request, answering auth challenges and retrying transient failures. */
  async request(path: string, o: ReqOpts): Promise<Response> {
    const url = path.startsWith("http://") || path.startsWith("https://") ? path : `${await this.base()}${path}`;
    let attempt = 0;
    let authTried = false;
    for (;;) {
      const headers: Record<string, string> = { "user-agent": "berth/0.1", ...(o.headers ?? {}) };
      const a = this.auth.cached(o.scope);
      if (a) headers.authorization = a;
      let res: Response;
      try {
        // an insecure registry over HTTPS: its certificate is not checked (as Docker does)
        const tls = this.insecure && url.startsWith("https://") ? { tls: { rejectUnauthorized: false } } : {};
        res = await fetch(url, { method: o.method ?? "GET", headers, body: o.body ?? null, redirect: "follow", ...tls } as RequestInit);
      } catch (e) {
        if (o.once || attempt >= this.retries) throw new RegistryError(`${o.method ?? "GET"} ${url}: ${(e as Error).message}`);
        await sleep(this.retryDelayMs * 2 ** attempt++);
        continue;
      }
      if (res.status === 401 && !authTried) {
        authTried = true;
        const h = await this.auth.answer(res.headers.get("www-authenticate"), o.scope);
        await res.body?.cancel();
        if (h) continue;
        throw new RegistryError(`${this.domain}: authentication required (use berth login ${this.domain})`, 401);
      }
      if ((res.status >= 500 || res.status === 429) && !o.once && attempt < this.retries) {
        await res.body?.cancel();
        await sleep(this.retryDelayMs * 2 ** attempt++);
        continue;
      }
      return res;
    }
  }

  private async fail(res: Response, what: string): Promise<never> {
    let detail = "";
    try {
      const body = (await res.json()) as { errors?: { code: string; message: string }[] };
      detail = (body.errors ?? []).map((e) => `${e.code}: ${e.message}`).join("; ");
    } catch {
      // no JSON body
    }
    if (res.status === 401) throw new RegistryError(`${what}: unauthorized${detail ? ` (${detail})` : ""}`, 401);
    throw new RegistryError(`${what}: ${res.status} ${res.statusText}${detail ? ` (${detail})` : ""}`, res.status);
  }

  /** Check that the registry speaks v2 (and that credentials work). */
  async ping(): Promise<void> {
    const res = await this.request("/v2/", { scope: "" });
    await res.body?.cancel();
    if (res.status === 401) throw new RegistryError(`${this.domain}: unauthorized`, 401);
    if (!res.ok) throw new RegistryError(`${this.domain}: /v2/ answered ${res.status}`, res.status);
  }

  async getManifest(repo: string, reference: string, accept: string[] = MANIFEST_ACCEPT): Promise<FetchedManifest> {
    const res = await this.request(`/v2/${repo}/manifests/${reference}`, {
      headers: { accept: accept.join(", ") },
      scope: RegistryClient.pullScope(repo),
    });
    const what = `manifest ${this.domain}/${repo}:${reference}`;
    if (res.status === 404) {
      await res.body?.cancel();
      throw new RegistryError(`${what}: not found`, 404);
    }
    if (!res.ok) await this.fail(res, what);
    const bytes = new Uint8Array(await res.arrayBuffer());
    const digest = sha256(bytes);
    if (reference.startsWith("sha256:") && digest !== reference)
      throw new RegistryError(`manifest ${reference}: content digest is ${digest}, not ${reference}`);
    return { bytes, mediaType: detectMediaType(bytes, res.headers.get("content-type")), digest };
  }

  /** GET a blob, from byte `offset` on (HTTP Range). Returns the response; status 200 or 206. */
  async getBlob(repo: string, digest: string, offset = 0): Promise<Response> {
    const headers: Record<string, string> = {};
    if (offset > 0) headers.range = `bytes=${offset}-`;
    const res = await this.request(`/v2/${repo}/blobs/${digest}`, { headers, scope: RegistryClient.pullScope(repo) });
    if (!res.ok) await this.fail(res, `blob ${digest}`);
    return res;
  }

  async fetchBlobBytes(repo: string, digest: string): Promise<Uint8Array> {
    const res = await this.getBlob(repo, digest);
    const bytes = new Uint8Array(await res.arrayBuffer());
    const got = sha256(bytes);
    if (got !== digest) throw new RegistryError(`blob ${digest}: content has digest ${got}: digest mismatch`);
    return bytes;
  }

  async hasBlob(repo: string, digest: string): Promise<boolean> {
    const res = await this.request(`/v2/${repo}/blobs/${digest}`, { method: "HEAD", scope: RegistryClient.pushScope(repo) });
    await res.body?.cancel();
    if (res.status === 404) return false;
    if (!res.ok) await this.fail(res, `blob ${digest}`);
    return true;
  }

  /** Upload a blob in one PUT (monolithic upload after POST). `body` may be bytes or a Bun.file(). */
  async putBlob(repo: string, digest: string, body: Uint8Array | Blob, size: number): Promise<void> {
    const scope = RegistryClient.pushScope(repo);
    const post = await this.request(`/v2/${repo}/blobs/uploads/`, { method: "POST", scope, headers: { "content-length": "0" } });
    await post.body?.cancel();
    if (post.status !== 202) await this.fail(post, `upload of blob ${digest}`);
    const loc = post.headers.get("location");
    if (!loc) throw new RegistryError(`upload of blob ${digest}: registry gave no upload location`);
    const u = new URL(loc, await this.base());
    u.searchParams.set("digest", digest);
    const put = await this.request(u.toString(), {
      method: "PUT",
      scope,
      body,
      headers: { "content-type": "application/octet-stream", "content-length": String(size) },
    });
    await put.body?.cancel();
    if (put.status !== 201) await this.fail(put, `upload of blob ${digest}`);
  }

  async putManifest(repo: string, reference: string, bytes: Uint8Array, mediaType: string): Promise<string> {
    const res = await this.request(`/v2/${repo}/manifests/${reference}`, {
      method: "PUT",
      scope: RegistryClient.pushScope(repo),
      body: bytes,
      headers: { "content-type": mediaType },
    });
    await res.body?.cancel();
    if (res.status !== 201) await this.fail(res, `manifest ${this.domain}/${repo}:${reference}`);
    return res.headers.get("docker-content-digest") ?? sha256(bytes);
  }
}
