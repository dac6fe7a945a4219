// v1 blkio. With the BFQ scheduler (all current kernels; CFQ is gone) the weight files are
// blkio.bfq.weight[_device]; the cfq names are planned with the bfq ones as fallback.
import type { Controller, PlannedWrite, ThrottleKey } from "../common.ts";
import { int, w } from "../common.ts";
import type { CgroupFs } from "../fs.ts";
import { parseBlkioV1 } from "../stats.ts";

export const blkio: Controller = {
  name: "blkio",
  writes(dir, r) {
    const b = r.blockIO;
    if (!b) return [];
    const out: PlannedWrite[] = [];
    if (b.weight) out.push(w(dir, "blkio.weight", int(b.weight), { file: `${dir}/blkio.bfq.weight`, value: int(b.weight) }));
    if (b.leafWeight) out.push(w(dir, "blkio.leaf_weight", int(b.leafWeight)));
    for (const d of b.weightDevice ?? []) {
      const dev = `${d.major}:${d.minor}`;
      if (d.weight) out.push(w(dir, "blkio.weight_device", `${dev} ${d.weight}`, { file: `${dir}/blkio.bfq.weight_device`, value: `${dev} ${d.weight}` }));
      if (d.leafWeight) out.push(w(dir, "blkio.leaf_weight_device", `${dev} ${d.leafWeight}`));
    }
    const throttle: [ThrottleKey, string][] = [
      ["throttleReadBpsDevice", "blkio.throttle.read_bps_device"],
      ["throttleWriteBpsDevice", "blkio.throttle.write_bps_device"],
      ["throttleReadIOPSDevice", "blkio.throttle.read_iops_device"],
      ["throttleWriteIOPSDevice", "blkio.throttle.write_iops_device"],
    ];
    // v1 semantics: rate 0 removes the device's limit
    for (const [key, file] of throttle) for (const t of b[key] ?? []) out.push(w(dir, file, `${t.major}:${t.minor} ${int(t.rate)}`));
    return out;
  },
  stats(fs: CgroupFs, dir, s) {
    const read = (f: string): string => (fs.exists(`${dir}/${f}`) ? fs.read(`${dir}/${f}`) : "");
    s.blkio = parseBlkioV1(read("blkio.throttle.io_service_bytes_recursive"), read("blkio.throttle.io_serviced_recursive"));
  },
};
