// Shared by the volume commands: Docker's shapes for a volume, and key=value flag lists.
import type { Volume } from "../../engine/volumes/index.ts";
import { writeStdout } from "../../sys/io.ts";

/** --label k=v / --opt k=v (a bare key gets ""), as Docker's ListOpts → map */
export function keyValues(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of list) {
    const i = s.indexOf("=");
    if (i < 0) out[s] = "";
    else out[s.slice(0, i)] = s.slice(i + 1);
  }
  return out;
}

/** The `docker volume inspect` document. */
export function inspectVolume(v: Volume): Record<string, unknown> {
  return {
    CreatedAt: v.createdAt,
    Driver: v.driver,
    Labels: v.labels,
    Mountpoint: v.mountpoint,
    Name: v.name,
    Options: v.options,
    Scope: v.scope,
  };
}

/** A `volume ls --format` row. */
export function volumeRow(v: Volume): Record<string, unknown> {
  return {
    Name: v.name,
    Driver: v.driver,
    Scope: v.scope,
    Mountpoint: v.mountpoint,
    CreatedAt: v.createdAt,
    Labels: Object.entries(v.labels)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, x]) => `${k}=${x}`)
      .join(","),
    Links: "N/A",
    Size: "N/A",
  };
}

export const VOLUME_HEADERS: Record<string, string> = {
  Driver: "DRIVER",
  Name: "VOLUME NAME",
  Scope: "SCOPE",
  Mountpoint: "MOUNTPOINT",
  CreatedAt: "CREATED",
  Labels: "LABELS",
  Links: "LINKS",
  Size: "SIZE",
};

/** Ask Docker's y/N question on stdout; true for yes. */
export async function confirm(question: string): Promise<boolean> {
  writeStdout(`${question}\nAre you sure you want to continue? [y/N] `);
  let answer = "";
  for await (const c of process.stdin) {
    answer += (c as Buffer).toString();
    if (answer.includes("\n")) break;
  }
  return /^y(es)?$/i.test(answer.trim());
}
