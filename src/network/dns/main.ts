// Entry point of a resolver process when berth runs from source: bun main.ts __resolver NETWORK
import { RESOLVER_ARG } from "./supervisor.ts";
import { serveNetwork } from "./daemon.ts";

const [marker, name] = process.argv.slice(2);
if (marker !== RESOLVER_ARG || !name) {
  process.stderr.write(`usage: main.ts ${RESOLVER_ARG} NETWORK\n`);
  process.exit(2);
}
serveNetwork(name).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`resolver for network "${name}": ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
