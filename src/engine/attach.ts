// The client side of the monitor's attach socket. Frames carry Docker's 8-byte header:
//   u8 kind | 3 zero bytes | u32 BE length | payload
//   from the monitor: 1 stdout, 2 stderr, 5 exit (i32 BE status)
//   to the monitor:   0 stdin, 3 resize (u16 BE rows, u16 BE cols), 4 close stdin
// Bun.connect rather than node:net: the first node:net connection of a process costs ~3 ms
// (module set-up), Bun's ~0.5 ms, and every `run` makes exactly one.
import type { Socket } from "bun";
import { attachSocket } from "./paths.ts";

export interface AttachSession {
  stdin(data: Uint8Array): void;
  closeStdin(): void;
  resize(rows: number, cols: number): void;
  /** the container's status from the exit frame; undefined if the socket closed without one */
  exit: Promise<number | undefined>;
  close(): void;
}

function frame(kind: number, payload: Uint8Array): Buffer {
  const h = Buffer.alloc(8 + payload.length);
  h[0] = kind;
  h.writeUInt32BE(payload.length, 4);
  h.set(payload, 8);
  return h;
}

/** `socket`: another monitor's socket than the container's own (an exec's). */
export async function attach(id: string, onOutput: (stream: 1 | 2, data: Uint8Array) => void, socket = attachSocket(id)): Promise<AttachSession> {
  let buf: Buffer = Buffer.alloc(0);
  let exitCode: number | undefined;
  let resolveExit!: (c: number | undefined) => void;
  const exit = new Promise<number | undefined>((r) => (resolveExit = r));
  // Bun's write() may take only part of a frame: the rest waits for drain, in order
  const pending: Buffer[] = [];
  const flush = (s: Socket): void => {
    while (pending.length) {
      const head = pending[0]!;
      const n = s.write(head);
      if (n < head.length) {
        pending[0] = head.subarray(Math.max(n, 0));
        return;
      }
      pending.shift();
    }
  };
  let sock: Socket;
  try {
    sock = await Bun.connect({
      unix: socket,
      socket: {
        data(_s, chunk: Buffer) {
          buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
          while (buf.length >= 8) {
            const len = buf.readUInt32BE(4);
            if (buf.length < 8 + len) break;
            const kind = buf[0]!;
            const payload = buf.subarray(8, 8 + len);
            buf = buf.subarray(8 + len);
            if (kind === 1 || kind === 2) onOutput(kind, payload);
            else if (kind === 5 && payload.length >= 4) exitCode = payload.readInt32BE(0);
          }
          if (buf.length) buf = Buffer.from(buf); // a partial frame outlives this callback's chunk
        },
        drain: (s) => flush(s),
        end: () => resolveExit(exitCode),
        close: () => resolveExit(exitCode),
        error: () => resolveExit(exitCode),
        connectError: () => undefined, // reported by the rejected promise below
      },
    });
  } catch (e) {
    throw new Error(`cannot attach to container ${id}: ${(e as Error).message}`);
  }
  const send = (b: Buffer): void => {
    pending.push(b);
    if (pending.length === 1) flush(sock);
  };
  return {
    stdin: (d) => send(frame(0, d)),
    closeStdin: () => send(frame(4, new Uint8Array(0))),
    resize: (rows, cols) => {
      const p = Buffer.alloc(4);
      p.writeUInt16BE(rows, 0);
      p.writeUInt16BE(cols, 2);
      send(frame(3, p));
    },
    exit,
    close: () => sock.terminate(),
  };
}
