// OCI image-spec / Docker schema 2 document shapes (the parts berth uses) and platform selection.

export const MT = {
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
  dockerLayerGzip: "application/vnd.docker.image.rootfs.diff.tar.gzip",
  dockerLayerForeignGzip: "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  ociLayer: "application/vnd.oci.image.layer.v1.tar",
  ociLayerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  ociLayerZstd: "application/vnd.oci.image.layer.v1.tar+zstd",
  ociLayerNondistGzip: "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
} as const;

export const MANIFEST_ACCEPT = [MT.ociIndex, MT.dockerList, MT.ociManifest, MT.dockerManifest];

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  "os.version"?: string;
  "os.features"?: string[];
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: Platform;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

export interface HealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

/** The container-config part of an image config (OCI "config" object, Docker keys). */
export interface ContainerConfig {
  User?: string;
  ExposedPorts?: Record<string, Record<string, never>>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, Record<string, never>>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  Healthcheck?: HealthConfig;
  ArgsEscaped?: boolean;
  OnBuild?: string[] | null;
  Shell?: string[];
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

export interface ImageConfig {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  variant?: string;
  config?: ContainerConfig;
  rootfs: { type: "layers"; diff_ids: string[] };
  history?: HistoryEntry[];
  [k: string]: unknown;
}

export type Compression = "gzip" | "zstd" | "none";

export function layerCompression(mediaType: string): Compression {
  if (mediaType.endsWith("+zstd") || mediaType.endsWith(".zstd")) return "zstd";
  if (mediaType.endsWith("gzip")) return "gzip";
  if (mediaType.endsWith(".tar") || mediaType === "application/vnd.docker.image.rootfs.diff.tar") return "none";
  throw new Error(`unsupported layer media type ${mediaType}`);
}

export function isIndex(mediaType: string): boolean {
  return mediaType === MT.ociIndex || mediaType === MT.dockerList;
}

export function isManifest(mediaType: string): boolean {
  return mediaType === MT.ociManifest || mediaType === MT.dockerManifest;
}

/** The media type of a manifest document: the header when useful, else its mediaType field / shape. */
export function detectMediaType(bytes: Uint8Array, header?: string | null): string {
  const h = header?.split(";")[0]?.trim();
  if (h && (isIndex(h) || isManifest(h))) return h;
  const doc = JSON.parse(new TextDecoder().decode(bytes)) as { mediaType?: string; manifests?: unknown; layers?: unknown; schemaVersion?: number };
  if (doc.mediaType) return doc.mediaType;
  if (doc.manifests) return MT.ociIndex;
  if (doc.layers) return MT.ociManifest;
  throw new Error(`unsupported manifest (schemaVersion ${doc.schemaVersion ?? "?"})`);
}

const ARCH: Record<string, string> = { x64: "amd64", arm64: "arm64", arm: "arm", ia32: "386", ppc64: "ppc64le", s390x: "s390x", riscv64: "riscv64" };

/** The platform berth runs on ("linux/amd64"), overridable as "os/arch[/variant]". */
export function hostPlatform(): Platform {
  const arch = ARCH[process.arch] ?? process.arch;
  const p: Platform = { os: "linux", architecture: arch };
  if (arch === "arm64") p.variant = "v8";
  return p;
}

export function parsePlatform(s: string): Platform {
  const [os, architecture, variant] = s.split("/");
  if (!os || !architecture) throw new Error(`invalid platform "${s}": expected os/arch[/variant]`);
  const p: Platform = { os, architecture: architecture === "x86_64" ? "amd64" : architecture === "aarch64" ? "arm64" : architecture };
  if (variant) p.variant = variant;
  return p;
}

export function platformString(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ""}`;
}

/** Choose the manifest for `want` from an index, preferring an exact variant match. */
export function selectPlatform(index: ImageIndex, want: Platform): Descriptor | undefined {
  const candidates = index.manifests.filter(
    (d) => isManifest(d.mediaType) && d.platform && d.platform.os === want.os && d.platform.architecture === want.architecture,
  );
  const wantVariant = want.variant ?? (want.architecture === "arm64" ? "v8" : undefined);
  const exact = candidates.find((d) => (d.platform?.variant ?? (want.architecture === "arm64" ? "v8" : undefined)) === wantVariant);
  if (exact) return exact;
  if (!want.variant) return candidates[0];
  return undefined;
}
