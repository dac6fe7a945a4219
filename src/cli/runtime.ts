#!/usr/bin/env bun
// berth-runtime: the OCI runtime with runc's command line. Dispatch only.
process.stderr.write("berth-runtime: not built yet\n");
process.exit(1);
