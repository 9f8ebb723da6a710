/**
 * The import rule: the folders are layers and imports run one way. Each source file's folder
 * (its layer) may import only the layers listed for it in {@link LAYERS}; `app/` and `main.ts`
 * may import anything and nothing but the entry points (`main.ts`, scripts/, bench/, tests/)
 * imports them. Folders not listed (scripts/, bench/, tests/) are tools on top and unchecked.
 *
 *   core/ <- audio/ <- pipeline/ <- wake/, asr/
 *   core/ <- home/ <- intent/ <- devices/
 *   core/, audio/ <- api/ (everything else is injected by app/)
 *
 * Exits 1 listing each violation as `file:line: imports target (layer may import: ...)`.
 *
 * @example
 * ```sh
 * deno run --allow-read scripts/check_imports.ts        # the repository
 * deno run --allow-read scripts/check_imports.ts DIR    # another checkout
 * ```
 * @module
 */
import { dirname, join, normalize, relative } from "node:path";

/** Layer -> the layers its files may import (its own layer is always allowed). */
export const LAYERS: Record<string, readonly string[]> = {
  core: [],
  audio: ["core"],
  pipeline: ["core", "audio"],
  wake: ["core", "audio", "pipeline"],
  asr: ["core", "audio", "pipeline"],
  home: ["core"],
  intent: ["core", "home"],
  devices: ["core", "home", "intent"],
  api: ["core", "audio"],
  app: ["core", "audio", "pipeline", "wake", "asr", "home", "intent", "devices", "api"],
};

/** Folders whose files are entry points or tools: they may import every layer, app/ too. */
const TOP = new Set(["scripts", "bench", "tests"]);

/** One import that breaks the rule. */
export interface Violation {
  /** Importing file, relative to the root. */
  file: string;
  line: number;
  /** Imported file, relative to the root. */
  target: string;
  message: string;
}

/** The layer of a root-relative path: its first folder, `app` for main.ts; null when unchecked. */
export function layerOf(path: string): string | null {
  if (path === "main.ts") return "app";
  const top = path.split("/")[0];
  if (top in LAYERS) return top;
  return TOP.has(top) ? "top" : null;
}

const SPECIFIER =
  /(?:^|[^\w.])(?:import|export)\s*(?:type\s+)?(?:[\w*{}\s,$]*?\s*from\s*)?\(?\s*["']([^"']+)["']/g;

/** Relative import specifiers of a source text, each with its 1-based line. */
export function importsOf(text: string): { spec: string; line: number }[] {
  const out: { spec: string; line: number }[] = [];
  for (const m of text.matchAll(SPECIFIER)) {
    if (!m[1].startsWith(".")) continue;
    const line = text.slice(0, m.index! + m[0].length).split("\n").length;
    out.push({ spec: m[1], line });
  }
  return out;
}

/** Check one file's text (`file` relative to the root) against the rule. */
export function checkFile(file: string, text: string): Violation[] {
  const from = layerOf(file);
  if (from === null || from === "top") return [];
  const allowed = new Set([from, ...LAYERS[from]]);
  const out: Violation[] = [];
  for (const { spec, line } of importsOf(text)) {
    const target = normalize(join(dirname(file), spec));
    if (target.startsWith("..")) {
      out.push({ file, line, target, message: `imports ${spec}, outside the repository` });
      continue;
    }
    const to = layerOf(target);
    if (to === null) continue; // data folders (models/, assets/) and root files other than main.ts
    if (to === "top" || !allowed.has(to)) {
      const others = LAYERS[from].map((l) => `${l}/`).join(", ");
      const may = others ? `${from}/ and ${others}` : `${from}/`;
      out.push({
        file,
        line,
        target,
        message: `imports ${target}: ${from}/ may import only ${may}`,
      });
    }
  }
  return out;
}

async function* sources(root: string, dir = root): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    const path = join(dir, e.name);
    if (e.isDirectory && !e.name.startsWith(".") && e.name !== "node_modules") {
      yield* sources(root, path);
    } else if (e.isFile && /\.(ts|js)$/.test(e.name)) yield relative(root, path);
  }
}

/** Every violation under `root` (a checkout), sorted by file and line. */
export async function checkTree(root: string): Promise<Violation[]> {
  const out: Violation[] = [];
  for await (const file of sources(root)) {
    if (layerOf(file) === null || layerOf(file) === "top") continue;
    out.push(...checkFile(file, await Deno.readTextFile(join(root, file))));
  }
  return out.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}

if (import.meta.main) {
  const root = Deno.args[0] ?? new URL("..", import.meta.url).pathname;
  let found: Violation[];
  try {
    found = await checkTree(root);
  } catch (err) {
    console.error(`check_imports: ${root}: ${(err as Error).message}`);
    Deno.exit(2);
  }
  for (const v of found) console.error(`${v.file}:${v.line}: ${v.message}`);
  if (found.length) {
    console.error(`check_imports: ${found.length} import(s) break the layer rule`);
    Deno.exit(1);
  }
  console.error("check_imports: every import runs one way");
}
