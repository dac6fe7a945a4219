// berth export: a container's filesystem as a tar. Containers belong to the engine; until it
// provides this command, say so plainly.
export default async function exportCmd(_argv: string[]): Promise<number> {
  process.stderr.write("berth export: exporting a container's filesystem is provided by the container engine, which is not available in this build\n");
  return 1;
}
