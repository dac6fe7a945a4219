// The pids controller has the same files (pids.max, pids.current) in v1 and v2.
export { pids } from "../v1/pids.ts";
