import pkg from "../../../package.json" with { type: "json" };

export default async function version(_args: string[]): Promise<number> {
  process.stdout.write(
    `Client: berth\n Version:    ${pkg.version}\n Runtime:    bun ${process.versions.bun ?? "?"}\n OS/Arch:    ${process.platform}/${process.arch === "x64" ? "amd64" : process.arch}\n`,
  );
  return 0;
}
