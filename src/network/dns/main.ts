// Entry point of a resolver process when berth runs from source: bun main.ts __resolver NETWORK
import { RESOLVER_ARG } from "./supervisor.ts";
import { serveNetwork } from "./daemon.ts";
import { writeStderr } from "../../sys/io.ts";

const [marker, name] = process.argv.slice(2);
if (marker !== RESOLVER_ARG || !name) {
  writeStderr(`usage: main.ts ${RESOLVER_ARG} NETWORK\n`);
  process.exit(2);
}
serveNetwork(name).then(
  (code) => process.exit(code),
  (e: unknown) => {
    writeStderr(`resolver for network "${name}": ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
