// v2 io. Weights go to io.bfq.weight (same 10..1000 range as blkio.weight) when BFQ is the
// scheduler, else to io.weight with the runc/crun range conversion. Throttles go to io.max.
import type { Controller, PlannedWrite, ThrottleKey } from "../common.ts";
import { blkioToIoWeight, int, w } from "../common.ts";
import { parseIoStat } from "../stats.ts";

export const io: Controller = {
  name: "io",
  writes(dir, r) {
    const b = r.blockIO;
    if (!b) return [];
    const out: PlannedWrite[] = [];
    if (b.weight) out.push(w(dir, "io.bfq.weight", int(b.weight), { file: `${dir}/io.weight`, value: int(blkioToIoWeight(b.weight)) }));
    for (const d of b.weightDevice ?? []) {
      if (!d.weight) continue;
      const dev = `${d.major}:${d.minor}`;
      out.push(w(dir, "io.bfq.weight", `${dev} ${d.weight}`, { file: `${dir}/io.weight`, value: `${dev} ${blkioToIoWeight(d.weight)}` }));
    }
    const keys: [ThrottleKey, string][] = [
      ["throttleReadBpsDevice", "rbps"],
      ["throttleWriteBpsDevice", "wbps"],
      ["throttleReadIOPSDevice", "riops"],
      ["throttleWriteIOPSDevice", "wiops"],
    ];
    // one io.max line per limit; rate 0 means "no limit" as in v1
    for (const [key, name] of keys)
      for (const t of b[key] ?? []) out.push(w(dir, "io.max", `${t.major}:${t.minor} ${name}=${t.rate === 0 ? "max" : int(t.rate)}`));
    return out;
  },
  stats(fs, dir, s) {
    if (fs.exists(`${dir}/io.stat`)) s.blkio = parseIoStat(fs.read(`${dir}/io.stat`));
  },
};
