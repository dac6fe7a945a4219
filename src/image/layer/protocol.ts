// Messages between offload.ts (main thread) and worker.ts (an unpacking worker); one job at a time.
import type { Compression } from "../manifest.ts";

export type ToWorker =
  | { op: "start"; dir: string; compression: Compression; whiteouts: boolean }
  | { op: "data"; chunk: Uint8Array }
  /** a whole compressed layer (transferred): verify both digests, decompress, unpack (apply.ts applyBlob) */
  | { op: "blob"; dir: string; compression: Compression; whiteouts: boolean; blob?: Uint8Array; file?: string; digest: string; diffId: string; blobVerified: boolean }
  | { op: "end" }
  /** stop the job: the worker closes what it has open and answers with "error" */
  | { op: "abort" };

export type FromWorker =
  | { op: "ready" }
  /** bytes of input consumed (flow control) */
  | { op: "credit"; bytes: number }
  | { op: "done"; diffId: string; size: number; entries: number }
  | { op: "error"; name: string; message: string; code?: string; expected?: string; actual?: string };
