// Spawning the native helper with extra pipes. Bun.spawn does it in ~0.3 ms where
// node:child_process takes ~10 ms on first use (measured here), and every container start
// pays it, so Bun's API is used when present, node:child_process otherwise.
import { closeSync, writeSync } from "node:fs";
import type { Readable } from "node:stream";

export type StdioSlot = "inherit" | "ignore" | number | "pipe-in" | "pipe-out";

export interface Spawned {
  pid: number;
  exited: Promise<{ code: number | null; signal: string | null }>;
  kill(signal: NodeJS.Signals | number): void;
  /** write all of `data` to the pipe at child fd `fd` (a "pipe-in" slot), then close it */
  writeAndClose(fd: number, data: Uint8Array): void;
  /** write all of `data` to that pipe and keep it open */
  write(fd: number, data: Uint8Array): void;
  /** follow a "pipe-out" slot until EOF (the read keeps the process alive); returns a canceller */
  follow(fd: number, onData: (chunk: Uint8Array) => void, onEnd: () => void): () => void;
  /** close our ends of the pipes that are still open */
  closeAll(): void;
  unref(): void;
}

export function spawnHelper(path: string, args: string[], stdio: StdioSlot[], detached: boolean): Spawned {
  if (typeof Bun !== "undefined") return spawnBun(path, args, stdio, detached);
  return spawnNode(path, args, stdio, detached);
}

function spawnBun(path: string, args: string[], stdio: StdioSlot[], detached: boolean): Spawned {
  const slots = stdio.map((s) => (s === "pipe-in" || s === "pipe-out" ? "pipe" : s));
  const p = Bun.spawn([path, ...args], { stdio: slots as unknown as ["inherit", "inherit", "inherit"], detached });
  // For extra fds Bun hands back our end of each pipe as a plain fd number.
  const ours = (p as unknown as { stdio: (number | undefined)[] }).stdio;
  const open = new Set<number>();
  stdio.forEach((s, i) => (s === "pipe-in" || s === "pipe-out") && ours[i] !== undefined && open.add(i));
  const exited = p.exited.then((code) => ({ code: p.signalCode ? null : code, signal: p.signalCode ? String(p.signalCode) : null }));
  return {
    pid: p.pid,
    exited,
    kill: (sig) => p.kill(sig),
    writeAndClose(fd, data) {
      try {
        this.write(fd, data);
      } finally {
        closeSync(ours[fd]!);
        open.delete(fd);
      }
    },
    write(fd, data) {
      const our = ours[fd]!;
      for (let off = 0; off < data.length; ) off += writeSync(our, data, off);
    },
    follow(fd, onData, onEnd) {
      open.delete(fd);
      // Bun.file(fd).stream() holds the event loop open while it reads; fs streams on a raw
      // fd do not, and Bun would exit with the report still unread.
      const reader = Bun.file(ours[fd]!).stream().getReader();
      let cancelled = false;
      void (async () => {
        try {
          for (;;) {
            const { value, done } = await reader.read();
            if (done || cancelled) break;
            onData(value);
          }
        } catch {
          /* a cancelled or broken pipe ends the report stream */
        }
        if (!cancelled) onEnd();
      })();
      return () => {
        cancelled = true;
        void reader.cancel().catch(() => {});
      };
    },
    closeAll() {
      for (const i of open) closeSync(ours[i]!);
      open.clear();
    },
    unref: () => p.unref(),
  };
}

function spawnNode(path: string, args: string[], stdio: StdioSlot[], detached: boolean): Spawned {
  // loaded lazily: it is the slow path
  const { spawn } = require("node:child_process") as typeof import("node:child_process");
  const slots = stdio.map((s) => (s === "pipe-in" || s === "pipe-out" ? "pipe" : s));
  const child = spawn(path, args, { stdio: slots, detached });
  const exited = new Promise<{ code: number | null; signal: string | null }>((res) => {
    child.on("error", () => res({ code: 255, signal: null }));
    child.on("exit", (code, signal) => res({ code, signal }));
  });
  return {
    pid: child.pid ?? -1,
    exited,
    kill: (sig) => void child.kill(sig),
    writeAndClose(fd, data) {
      const w = child.stdio[fd] as NodeJS.WritableStream & { on(e: string, f: () => void): void };
      w.on("error", () => {});
      w.end(data);
    },
    write(fd, data) {
      const w = child.stdio[fd] as NodeJS.WritableStream & { on(e: string, f: () => void): void };
      w.on("error", () => {});
      w.write(data);
    },
    follow(fd, onData, onEnd) {
      const r = child.stdio[fd] as Readable;
      r.on("data", onData);
      r.on("error", () => {});
      r.on("end", onEnd);
      return () => r.destroy();
    },
    closeAll() {
      for (const s of child.stdio) (s as { destroy?: () => void } | null)?.destroy?.();
    },
    unref: () => child.unref(),
  };
}
