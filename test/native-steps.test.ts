// berth-init's fd steps run directly on a hand-made plan (no container): the fd layout they
// leave is read from /proc/<pid>/fdinfo while the helper waits.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { helperPath } from "../src/sys/paths.ts";
import { spawnHelper } from "../src/sys/spawn.ts";
import { encodeFrame } from "../src/runtime/plan/encode.ts";
import { startHelper } from "../src/runtime/helper.ts";

const accessMode = (pid: number, fd: number): number | undefined => {
  const f = `/proc/${pid}/fdinfo/${fd}`;
  if (!existsSync(f)) return undefined;
  return parseInt(/^flags:\s+(\d+)/m.exec(readFileSync(f, "utf8"))![1]!, 8) & 3;
};

describe("berth-init fd steps", () => {
  // fds 0-5 taken and 6 free: pipe2 returns 6 and 7, and 7 is the read end's target. Dup'ing the
  // read end onto 7 used to close the write end, which was then dup'd (as a read end) onto 8.
  it("PIPE makes its two ends whatever numbers pipe2 returns", async () => {
    const devnull = openSync("/dev/null", "r");
    const child = spawnHelper(helperPath(), ["3", "4"], ["ignore", "ignore", "ignore", "pipe-in", "pipe-out", devnull], false);
    closeSync(devnull);
    try {
      assert.ok(existsSync(`/proc/${child.pid}/fd/5`) && !existsSync(`/proc/${child.pid}/fd/6`), "fd 5 taken, 6 free");
      child.follow(4, () => {}, () => {});
      child.writeAndClose(3, encodeFrame([
        { op: "PIPE", args: [7, 8], what: "pipe", who: "parent" },
        { op: "WAIT_GO", args: [7], what: "wait", who: "parent" }, // blocks: we hold no writer, it does
      ]));
      let read: number | undefined;
      let write: number | undefined;
      for (let i = 0; i < 200 && (read === undefined || write === undefined); i++) {
        await Bun.sleep(5);
        read = accessMode(child.pid, 7);
        write = accessMode(child.pid, 8);
      }
      assert.equal(read, 0, "fd 7 is the read end");
      assert.equal(write, 1, "fd 8 is the write end");
    } finally {
      child.kill("SIGKILL");
      await child.exited;
    }
  });

  it("a failed step comes back as an error naming the step, its errno and berth-init's detail", async () => {
    // CLOSE takes one integer: a string is refused when the frame is checked, before any step runs
    const h = startHelper({ stdin: "ignore", stdout: "ignore", stderr: "ignore" });
    h.send({ steps: [{ op: "CLOSE", args: ["not a number"], what: "close fd x", who: "parent" }], planFd: 3, syncFd: 4 });
    await assert.rejects(h.ready, (e: Error) => {
      // the detail is the report's text up to its NUL, nothing after it
      assert.equal(e.message, "close fd x: EINVAL (invalid argument) (malformed step) (step 0)");
      return true;
    });
    await h.exit;
  });
});
