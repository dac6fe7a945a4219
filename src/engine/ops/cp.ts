// cp: files between a container (running or not) and the host, with Docker's destination
// rules: a directory destination receives the source by its base name, "SRC/." copies a
// directory's contents, a missing destination is created with the source's name; "-" is a tar
// stream. Container paths are resolved inside the container's root (see fs/view.ts).
import { lstatSync, statSync, type Stats } from "node:fs";
import { resolve as hostResolve } from "node:path";
import { readTar } from "../../image/layer/apply.ts";
import { containerFs } from "../fs/container.ts";
import { FsSink, TarWriterSink, walkTree } from "../fs/copy.ts";
import { relBase, relJoin, relParent, resolveInRoot, RootFs, type ContainerFs } from "../fs/view.ts";

export interface CopyOptions {
  /** -a: keep uid/gid (into a container); else the container's root owns what is copied in */
  archive: boolean;
  /** -L: follow a symlink given as the source */
  followLink: boolean;
}

export class CopyError extends Error {
  override name = "CopyError";
}

interface Source {
  fs: ContainerFs;
  /** resolved path in fs */
  rel: string;
  st: Stats;
  /** the name the copy gets (the base name as given) */
  name: string;
  /** "SRC/.": the directory's contents, not the directory */
  contents: boolean;
}

function splitGiven(path: string): { contents: boolean; dirOnly: boolean } {
  return { contents: /(^|\/)\.$/.test(path), dirOnly: /\/$/.test(path) };
}

function openSource(fs: ContainerFs, path: string, followLink: boolean, notFound: () => Error): Source {
  const { contents, dirOnly } = splitGiven(path);
  const rel = resolveInRoot(fs, path, followLink || contents || dirOnly);
  const st = fs.lstat(rel);
  if (!st) throw notFound();
  if ((contents || dirOnly) && !st.isDirectory()) throw new CopyError(`${path}: not a directory`);
  const name = path.split("/").filter((c) => c && c !== ".").pop() ?? "";
  return { fs, rel, st, name: name === ".." ? relBase(rel) : name, contents };
}

/** Where a source lands in dest (resolved, in destFs), Docker's way. */
function destination(src: Source, destFs: ContainerFs, dest: string, notFound: () => Error): string {
  const rel = resolveInRoot(destFs, dest, true);
  const st = destFs.lstat(rel);
  const srcDir = src.st.isDirectory();
  if (st?.isDirectory()) return src.contents ? rel : relJoin(rel, src.name || relBase(src.rel));
  if (st) {
    if (srcDir) throw new CopyError(`cannot copy a directory to a file: ${dest}`);
    return rel;
  }
  if (/\/\.?$/.test(dest) && !srcDir) throw new CopyError(`destination directory ${dest} does not exist`);
  const parent = destFs.lstat(relParent(rel));
  if (!parent?.isDirectory()) throw notFound();
  return rel;
}

/** container:src -> host dest ("-": a tar stream through `write`). */
export async function copyFromContainer(id: string, srcPath: string, dest: string, o: CopyOptions, write: (b: Uint8Array) => void): Promise<void> {
  const { rec, fs } = await containerFs(id);
  const src = openSource(fs, srcPath, o.followLink, () => new CopyError(`Could not find the file ${srcPath} in container ${rec.name}`));
  if (dest === "-") {
    const sink = new TarWriterSink(write);
    walkTree(fs, src.rel, src.contents ? "" : src.name || relBase(src.rel), sink, { followTop: o.followLink });
    sink.end();
    return;
  }
  const host = new RootFs("/", "host");
  const abs = hostResolve(dest);
  const target = destination(src, host, dest.endsWith("/") ? `${abs}/` : abs, () => new CopyError(`destination directory ${dest} does not exist`));
  const sink = new FsSink(host, target);
  walkTree(fs, src.rel, "", sink, { followTop: o.followLink });
  sink.finish();
}

/** host src ("-": a tar stream) -> container:dest. */
export async function copyToContainer(id: string, srcPath: string, destPath: string, o: CopyOptions, input: () => AsyncIterable<Uint8Array>): Promise<void> {
  const { rec, fs } = await containerFs(id);
  const notFound = () => new CopyError(`Could not find the file ${destPath} in container ${rec.name}`);
  const owner = o.archive ? undefined : { uid: 0, gid: 0 };
  if (srcPath === "-") {
    const rel = resolveInRoot(fs, destPath, true);
    const st = fs.lstat(rel);
    if (!st) throw notFound();
    if (!st.isDirectory()) throw new CopyError(`extraction point is not a directory: ${destPath}`);
    const sink = new FsSink(fs, rel, { owner });
    await readTar(input(), "none", sink);
    sink.finish();
    return;
  }
  const host = new RootFs("/", "host");
  const abs = hostResolve(srcPath);
  const st = (() => {
    try {
      return o.followLink ? statSync(abs) : lstatSync(abs);
    } catch {
      return undefined;
    }
  })();
  if (!st) throw new CopyError(`lstat ${abs}: no such file or directory`);
  const given = srcPath.endsWith("/.") ? `${abs}/.` : srcPath.endsWith("/") ? `${abs}/` : abs;
  const src = openSource(host, given, o.followLink, () => new CopyError(`lstat ${abs}: no such file or directory`));
  const target = destination(src, fs, destPath, notFound);
  const sink = new FsSink(fs, target, { owner });
  walkTree(host, src.rel, "", sink, { followTop: o.followLink });
  sink.finish();
}
