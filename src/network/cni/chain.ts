// Running a plugin list as the CNI spec's network configuration list: ADD in order, each plugin
// getting the previous one's result as prevResult; DEL in reverse order with the final result.
import { execPlugin, type CniRuntimeArgs } from "./exec.ts";
import type { JsonObject } from "../store.ts";

/**
 * ADD every plugin in `plugins`. After each one, `onStep(i + 1, result)` is awaited so the caller
 * can persist progress (a crash then leaves enough for DEL). On failure, the plugins already run
 * (and the failing one, which may have half-done its work) are DELeted, and the error is rethrown.
 */
export async function addChain(
  plugins: JsonObject[],
  args: CniRuntimeArgs,
  onStep: (done: number, result: JsonObject) => void | Promise<void>,
): Promise<JsonObject> {
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

/**
 * DEL every plugin in reverse. Unlike ADD, a failing plugin does not stop the others (each DEL is
 * idempotent, and stopping would leave more behind); the first error is thrown at the end.
 */
export async function delChain(plugins: JsonObject[], prevResult: JsonObject | undefined, args: CniRuntimeArgs): Promise<void> {
  let first: unknown;
  for (let i = plugins.length - 1; i >= 0; i--) {
    const conf: JsonObject = prevResult ? { ...plugins[i]!, prevResult } : { ...plugins[i]! };
    try {
      await execPlugin("DEL", conf, args);
    } catch (e) {
      first ??= e;
    }
  }
  if (first) throw first;
}

/** CHECK every plugin in order with the final result (CNI 0.4.0+). */
export async function checkChain(plugins: JsonObject[], result: JsonObject, args: CniRuntimeArgs): Promise<void> {
  for (const p of plugins) await execPlugin("CHECK", { ...p, prevResult: result }, args);
}
