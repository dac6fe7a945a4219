// Image references, parsed and normalised as Docker does:
//   busybox                      -> docker.io/library/busybox:latest
//   host:5000/ns/name:tag@sha256:<hex>
// Errors say what is wrong with the reference.

export interface Reference {
  /** registry host[:port], e.g. "docker.io", "localhost:5000" */
  domain: string;
  /** repository path inside the registry, e.g. "library/busybox" */
  path: string;
  tag?: string;
  /** "sha256:<hex>" */
  digest?: string;
}

export class ReferenceError extends Error {
  override name = "ReferenceError";
  constructor(
    readonly reference: string,
    why: string,
  ) {
    super(`invalid reference format "${reference}": ${why}`);
  }
}

export const DEFAULT_DOMAIN = "docker.io";
export const DEFAULT_TAG = "latest";
const COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const SHA256 = /^sha256:[a-f0-9]{64}$/;
const DOMAIN_PART = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;

/** True when s is a well-formed digest string (only sha256 is accepted for content). */
export function isDigest(s: string): boolean {
  return SHA256.test(s);
}

function checkDomain(ref: string, domain: string): void {
  let host = domain;
  let port: string | undefined;
  const ipv6 = /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/.exec(domain);
  if (ipv6) return;
  const colon = domain.lastIndexOf(":");
  if (colon >= 0) {
    host = domain.slice(0, colon);
    port = domain.slice(colon + 1);
    if (!/^\d+$/.test(port) || Number(port) > 65535) throw new ReferenceError(ref, `invalid port "${port}" in registry "${domain}"`);
  }
  for (const part of host.split(".")) {
    if (!DOMAIN_PART.test(part)) throw new ReferenceError(ref, `invalid registry host "${domain}"`);
  }
}

/**
 * Parse and normalise a reference. No default tag is added (see normalizeReference).
 */
export function parseReference(input: string): Reference {
  const s = input.trim();
  if (s === "") throw new ReferenceError(input, "the reference is empty");
  let rest = s;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw new ReferenceError(input, `invalid digest "${digest}"`);
    if (digest.startsWith("sha256:") && !SHA256.test(digest))
      throw new ReferenceError(input, `invalid digest "${digest}": sha256 needs 64 lowercase hex characters`);
    if (!digest.startsWith("sha256:")) throw new ReferenceError(input, `unsupported digest algorithm in "${digest}"`);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf("/");
  const colon = rest.lastIndexOf(":");
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw new ReferenceError(input, `invalid tag "${tag}"`);
  }
  if (rest === "") throw new ReferenceError(input, "the repository name is empty");
  let domain: string;
  let path: string;
  const slash = rest.indexOf("/");
  const first = slash >= 0 ? rest.slice(0, slash) : "";
  if (slash >= 0 && (first.includes(".") || first.includes(":") || first === "localhost" || first !== first.toLowerCase())) {
    domain = first;
    path = rest.slice(slash + 1);
    checkDomain(input, domain);
  } else {
    domain = DEFAULT_DOMAIN;
    path = rest;
  }
  if (domain === "index.docker.io" || domain === "registry-1.docker.io") domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !path.includes("/")) path = `library/${path}`;
  if (path !== path.toLowerCase()) throw new ReferenceError(input, "repository name must be lowercase");
  for (const c of path.split("/")) {
    if (c === "") throw new ReferenceError(input, "empty path component in the repository name");
    if (!COMPONENT.test(c)) throw new ReferenceError(input, `invalid repository name component "${c}"`);
  }
  if (domain.length + 1 + path.length > 255) throw new ReferenceError(input, "repository name longer than 255 characters");
  const ref: Reference = { domain, path };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

/** parseReference, plus the default tag "latest" when there is neither tag nor digest. */
export function normalizeReference(input: string): Reference {
  const r = parseReference(input);
  if (r.tag === undefined && r.digest === undefined) r.tag = DEFAULT_TAG;
  return r;
}

/** "docker.io/library/busybox" */
export function repoName(r: Reference): string {
  return `${r.domain}/${r.path}`;
}

/** The full normalised form: "docker.io/library/busybox:latest@sha256:…". */
export function refString(r: Reference): string {
  return `${repoName(r)}${r.tag !== undefined ? `:${r.tag}` : ""}${r.digest !== undefined ? `@${r.digest}` : ""}`;
}

/** Docker's short form of a repository: "busybox", "user/app", "localhost:5000/x". */
export function familiarName(name: string): string {
  if (name.startsWith(`${DEFAULT_DOMAIN}/library/`) && name.split("/").length === 3) return name.slice(`${DEFAULT_DOMAIN}/library/`.length);
  if (name.startsWith(`${DEFAULT_DOMAIN}/`)) return name.slice(DEFAULT_DOMAIN.length + 1);
  return name;
}

/** Familiar form of a whole reference string ("busybox:latest"). */
export function familiarString(r: Reference): string {
  return `${familiarName(repoName(r))}${r.tag !== undefined ? `:${r.tag}` : ""}${r.digest !== undefined ? `@${r.digest}` : ""}`;
}

/** The host to talk to for a registry domain (docker.io's API lives elsewhere). */
export function registryHost(domain: string): string {
  return domain === DEFAULT_DOMAIN ? "registry-1.docker.io" : domain;
}

/** Split a stored "name:tag" / "name@digest" string back into name and tag/digest. */
export function splitNamed(s: string): { name: string; tag?: string; digest?: string } {
  const at = s.indexOf("@");
  if (at >= 0) return { name: s.slice(0, at), digest: s.slice(at + 1) };
  const colon = s.lastIndexOf(":");
  if (colon > s.lastIndexOf("/")) return { name: s.slice(0, colon), tag: s.slice(colon + 1) };
  return { name: s };
}
