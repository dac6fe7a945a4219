// Running a plugin list as the CNI spec's network configuration list: ADD in order, each plugin
// getting the previous one's result as prevResult; DEL in reverse order with the final result.
//
// One shortcut, when the container's addresses are known before ADD (berth picked the address
// and asked host-local for it): the host-side plugins — firewall and portmap, which only write
// iptables rules for the container's addresses and pass prevResult through unchanged — run at the
// same time as the interface plugins (bridge, tuning), given a `seed` result holding just those
// addresses. Their DELs likewise run alongside the interface plugins' DELs. Each Go plugin costs
// 15-70 ms, mostly waiting on its iptables processes, so this takes one or two of them off the
// critical path. (iptables serialises concurrent writers itself: the xtables lock with --wait,
// or nftables' generation check and retry with iptables-nft.)
import { execPlugin, type CniRuntimeArgs } from "./exec.ts";
import type { JsonObject } from "../store.ts";

/** Plugins that only act on the host's firewall for the addresses in prevResult. */
const HOST_SIDE = new Set(["firewall", "portmap"]);
export const isHostSide = (p: JsonObject): boolean => HOST_SIDE.has(String(p.type));

/**
 * ADD every plugin in `plugins`. After each one, `onStep(i + 1, result)` is awaited so the caller
 * can persist progress (a crash then leaves enough for DEL). On failure, the plugins already run
 * (and the failing one, which may have half-done its work) are DELeted, and the error is rethrown.
 * With `seed` (a result carrying the container's addresses, saved by the caller as the
 * attachment's result before this is called, with every plugin counted as started), host-side
 * plugins run concurrently with the others; `onStep` then counts the interface plugins done (with
 * their latest result) and is called with plugins.length once everything is done.
 */
export async function addChain(
  plugins: JsonObject[],
  args: CniRuntimeArgs,
  onStep: (done: number, result: JsonObject) => void | Promise<void>,
  seed?: JsonObject,
): Promise<JsonObject> {
  if (seed) return addConcurrent(plugins, args, onStep, seed);
  let prev: JsonObject | undefined;
  for (let i = 0; i < plugins.length; i++) {
    const conf: JsonObject = prev ? { ...plugins[i]!, prevResult: prev } : { ...plugins[i]! };
    try {
      const r = await execPlugin("ADD", conf, args);
      if (!r) throw new Error(`CNI ${String(conf.type)} ADD returned no result`);
      prev = r;
    } catch (e) {
      await delChain(plugins.slice(0, i + 1), prev, args).catch(() => undefined);
      throw e;
    }
    await onStep(i + 1, prev);
  }
  if (!prev) throw new Error("empty CNI plugin list");
  return prev;
}

async function addConcurrent(
  plugins: JsonObject[],
  args: CniRuntimeArgs,
  onStep: (done: number, result: JsonObject) => void | Promise<void>,
  seed: JsonObject,
): Promise<JsonObject> {
  const side = plugins.filter(isHostSide);
  const main = plugins.filter((p) => !isHostSide(p));
  if (main.length === 0) throw new Error("CNI plugin list without an interface plugin");
  let prev: JsonObject | undefined;
  const runMain = async () => {
    for (let i = 0; i < main.length; i++) {
      const p = main[i]!;
      const r = await execPlugin("ADD", prev ? { ...p, prevResult: prev } : { ...p }, args);
      if (!r) throw new Error(`CNI ${String(p.type)} ADD returned no result`);
      prev = r;
      // the interface plugins' progress (and the real result) is saved as it comes
      if (i + 1 < plugins.length) await onStep(i + 1, r);
    }
  };
  const settled = await Promise.allSettled([runMain(), ...side.map((p) => execPlugin("ADD", { ...p, prevResult: seed }, args))]);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (failed || !prev) {
    await delChain(plugins, prev ?? seed, args).catch(() => undefined);
    throw failed ? failed.reason : new Error("CNI chain ADD returned no result");
  }
  await onStep(plugins.length, prev);
  return prev;
}

/**
 * DEL every plugin in reverse. Unlike ADD, a failing plugin does not stop the others (each DEL is
 * idempotent, and stopping would leave more behind); the first error is thrown at the end.
 * Host-side plugins' DELs run concurrently with the interface plugins' (reverse-order) DELs.
 */
export async function delChain(plugins: JsonObject[], prevResult: JsonObject | undefined, args: CniRuntimeArgs): Promise<void> {
  const del = (p: JsonObject) => execPlugin("DEL", prevResult ? { ...p, prevResult } : { ...p }, args);
  const errors: unknown[] = [];
  const runMain = async () => {
    for (const p of plugins.filter((p) => !isHostSide(p)).reverse()) await del(p).catch((e: unknown) => void errors.push(e));
  };
  await Promise.all([runMain(), ...plugins.filter(isHostSide).map((p) => del(p).catch((e: unknown) => void errors.push(e)))]);
  if (errors.length) throw errors[0];
}

/** CHECK every plugin in order with the final result (CNI 0.4.0+). */
export async function checkChain(plugins: JsonObject[], result: JsonObject, args: CniRuntimeArgs): Promise<void> {
  for (const p of plugins) await execPlugin("CHECK", { ...p, prevResult: result }, args);
}
