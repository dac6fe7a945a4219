// Registry authentication: WWW-Authenticate challenges, bearer tokens (fetched from the
// challenge's realm, with Basic credentials when we have some) and plain Basic auth.
import type { Credentials } from "../config.ts";

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parse one WWW-Authenticate header value: `Bearer realm="…",service="…",scope="…"`. */
export function parseChallenge(header: string): Challenge | undefined {
  const m = /^\s*([A-Za-z]+)\s*(.*)$/.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  const re = /([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g;
  let p: RegExpExecArray | null;
  while ((p = re.exec(m[2]!))) params[p[1]!.toLowerCase()] = (p[2] ?? p[3] ?? "").replace(/\\(.)/g, "$1");
  return { scheme: m[1]!.toLowerCase(), params };
}

export function basicHeader(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString("base64")}`;
}

export class AuthError extends Error {
  override name = "AuthError";
}

/** Keeps tokens per scope for one registry. */
export class Authorizer {
  private tokens = new Map<string, string>();
  private challenge: Challenge | undefined;

  constructor(
    readonly domain: string,
    private readonly creds: Credentials | undefined,
  ) {}

  /** Authorization header for a scope, if a challenge has been seen already. */
  cached(scope: string): string | undefined {
    if (!this.challenge) return undefined;
    if (this.challenge.scheme === "basic") return this.creds ? basicHeader(this.creds) : undefined;
    const t = this.tokens.get(scope);
    return t ? `Bearer ${t}` : undefined;
  }

  /** Answer a 401's challenge; returns the header to retry with, or undefined if we cannot. */
  async answer(header: string | null, scope: string): Promise<string | undefined> {
    const ch = header ? parseChallenge(header) : undefined;
    if (!ch) return undefined;
    this.challenge = ch;
    if (ch.scheme === "basic") return this.creds ? basicHeader(this.creds) : undefined;
    if (ch.scheme !== "bearer") throw new AuthError(`${this.domain}: unsupported authentication scheme "${ch.scheme}"`);
    const realm = ch.params.realm;
    if (!realm) throw new AuthError(`${this.domain}: bearer challenge without a realm`);
    const url = new URL(realm);
    if (ch.params.service) url.searchParams.set("service", ch.params.service);
    const scopes = new Set<string>([scope, ...(ch.params.scope ? [ch.params.scope] : [])].filter((s) => s));
    for (const s of scopes) url.searchParams.append("scope", s);
    const headers: Record<string, string> = {};
    if (this.creds) headers.authorization = basicHeader(this.creds);
    const res = await fetch(url, { headers });
    if (res.status === 401 || res.status === 403) {
      throw new AuthError(`${this.domain}: authentication failed (token server ${url.origin} said ${res.status})`);
    }
    if (!res.ok) throw new AuthError(`${this.domain}: token server ${url.origin} answered ${res.status}`);
    const body = (await res.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new AuthError(`${this.domain}: token server ${url.origin} returned no token`);
    this.tokens.set(scope, token);
    return `Bearer ${token}`;
  }
}
