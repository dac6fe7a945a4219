import pkg from "../../../package.json" with { type: "json" };
import { writeStdout } from "../../sys/io.ts";

export default async function version(_args: string[]): Promise<number> {
  writeStdout(
    `Client: berth\n Version:    ${pkg.version}\n Runtime:    bun ${process.versions.bun ?? "?"}\n OS/Arch:    ${process.platform}/${process.arch === "x64" ? "amd64" : process.arch}\n`,
  );
  return 0;
}
