// The client side of the monitor's attach socket. Frames carry Docker's 8-byte header:
//   u8 kind | 3 zero bytes | u32 BE length | payload
//   from the monitor: 1 stdout, 2 stderr, 5 exit (i32 BE status)
//   to the monitor:   0 stdin, 3 resize (u16 BE rows, u16 BE cols), 4 close stdin
import { connect, type Socket } from "node:net";
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

export function attach(id: string, onOutput: (stream: 1 | 2, data: Uint8Array) => void): Promise<AttachSession> {
  return new Promise((resolve, reject) => {
    const sock: Socket = connect(attachSocket(id));
    let buf: Buffer = Buffer.alloc(0);
    let exitCode: number | undefined;
    let resolveExit!: (c: number | undefined) => void;
    const exit = new Promise<number | undefined>((r) => (resolveExit = r));
    sock.on("data", (chunk: Buffer) => {
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
    });
    sock.on("close", () => resolveExit(exitCode));
    sock.on("error", (e) => {
      reject(new Error(`cannot attach to container ${id}: ${e.message}`));
      resolveExit(exitCode);
    });
    sock.on("connect", () =>
      resolve({
        stdin: (d) => void sock.write(frame(0, d)),
        closeStdin: () => void sock.write(frame(4, new Uint8Array(0))),
        resize: (rows, cols) => {
          const p = Buffer.alloc(4);
          p.writeUInt16BE(rows, 0);
          p.writeUInt16BE(cols, 2);
          sock.write(frame(3, p));
        },
        exit,
        close: () => sock.destroy(),
      }),
    );
  });
}
