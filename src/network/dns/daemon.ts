// The body of a resolver process: serve the network's names on its gateway address until SIGTERM,
// the network's removal, or a minute without any endpoint.
import { existsSync, readFileSync, rmSync } from "node:fs";
import { writeFileAtomic } from "../../sys/atomic.ts";
import { namesFile, networkFile, resolverPidFile } from "../store.ts";
import type { NetworkRecord } from "../types.ts";
import { readNames } from "./names.ts";
import { startResolver } from "./server.ts";
import { writeStderr } from "../../sys/io.ts";

export async function serveNetwork(name: string): Promise<number> {
  let net: NetworkRecord;
  try {
    net = JSON.parse(readFileSync(networkFile(name), "utf8")) as NetworkRecord;
  } catch (e) {
    writeStderr(`resolver: network "${name}": ${(e as Error).message}\n`);
    return 1;
  }
  if (!net.gateway) {
    writeStderr(`resolver: network "${name}" has no gateway address\n`);
    return 1;
  }
  const port = Number(process.env.BERTH_DNS_PORT ?? 53);
  const r = await startResolver({ network: name, address: net.gateway, port, namesPath: namesFile(name) });
  writeFileAtomic(resolverPidFile(name), `${process.pid}\n`, 0o644, false);
  writeStderr(`${new Date().toISOString()} resolver for network "${name}" listening on ${net.gateway}:${r.port} (pid ${process.pid})\n`);
  let idleSince = Date.now();
  return new Promise<number>((resolve) => {
    const stop = (why: string) => {
      clearInterval(timer);
      writeStderr(`${new Date().toISOString()} resolver for network "${name}" exiting: ${why}\n`);
      try {
        if (readFileSync(resolverPidFile(name), "utf8").trim() === String(process.pid)) rmSync(resolverPidFile(name), { force: true });
      } catch {
        // pid file already gone
      }
      r.close().then(() => resolve(0));
    };
    const timer = setInterval(() => {
      if (!existsSync(networkFile(name))) return stop("network removed");
      const f = readNames(namesFile(name));
      if (f && Object.keys(f.endpoints).length > 0) idleSince = Date.now();
      else if (Date.now() - idleSince > 60_000) stop("no endpoints for a minute");
    }, 2000);
    process.on("SIGTERM", () => stop("SIGTERM"));
    process.on("SIGINT", () => stop("SIGINT"));
  });
}
