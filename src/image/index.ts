// berth's image subsystem: the API the engine and the CLI use.
export { pullImage, resolveManifest, type PullOptions, type PullEvent, type LayerStatus } from "./pull.ts";
export {
  resolveImage,
  findImage,
  listImages,
  imageConfig,
  layerDirs,
  tagImage,
  removeImage,
  pruneImages,
  imageHistory,
  diskUsage,
  shortId,
  NoSuchImageError,
  ImageConflictError,
  type RemoveResult,
  type PruneResult,
  type HistoryItem,
  type DiskUsage,
} from "./manage.ts";
export { rootfsMounts, type OverlayMounts } from "./snapshot.ts";
export { pushImage, type PushOptions, type PushEvent } from "./push.ts";
export { saveImages, loadImages, type LoadResult } from "./archive.ts";
export { importImage, type ImportOptions } from "./import.ts";
export { collectGarbage, type GcResult } from "./store/gc.ts";
export { containersUsing } from "./containers.ts";
export type { ImageRecord, LayerRef } from "./store/images.ts";
export type { ImageConfig, ContainerConfig, HealthConfig, ImageManifest, ImageIndex, Descriptor, Platform } from "./manifest.ts";
export { parseReference, normalizeReference, familiarName, familiarString, refString, repoName, ReferenceError, type Reference } from "./reference.ts";
export { login, logout } from "./login.ts";
