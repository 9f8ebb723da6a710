/**
 * Model descriptions for `/api/status`: file, size, weight bit widths (read
 * from the ONNX file itself, no session needed) and the thresholds in effect.
 * Paths and thresholds resolve the way the stages resolve them: a relative
 * path is tried against the working directory, then the repository; a wake
 * model's threshold is its config entry's, else the one tuned at training
 * (ONNX metadata "threshold"), else `wake.threshold`.
 * @module
 */
import type { Config } from "../core/config.ts";
import { type OnnxInfo, readOnnxInfo } from "../core/onnx_info.ts";
import type { ModelInfo } from "./status.ts";

const REPO = new URL("../", import.meta.url);

async function exists(path: string | URL): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** The file a configured model path refers to (cwd first, then the repository). */
export async function resolveModelPath(path: string): Promise<string> {
  if (path.startsWith("/") || await exists(path)) return path;
  const inRepo = new URL(path, REPO);
  return await exists(inRepo) ? inRepo.pathname : path;
}

function shortPath(path: string): string {
  for (const base of [Deno.cwd() + "/", REPO.pathname]) {
    if (path.startsWith(base)) return path.slice(base.length);
  }
  return path;
}

/** A model entry plus the problem with its file, if any. */
export type ModelReport = ModelInfo & { error?: string };

/**
 * Describe one model file. `refine` may adjust the entry from the file's
 * metadata. A missing or unreadable file gives sizeBytes null and an error.
 */
export async function describeModelFile(
  path: string,
  base: Omit<ModelInfo, "file" | "sizeBytes">,
  refine?: (info: OnnxInfo, entry: ModelReport) => void,
): Promise<ModelReport> {
  const resolved = await resolveModelPath(path);
  const file = shortPath(resolved);
  let parsed: Parsed;
  try {
    parsed = await parseCached(resolved);
  } catch (err) {
    const reason = err instanceof Deno.errors.NotFound ? "file not found" : (err as Error).message;
    return { ...base, file, sizeBytes: null, error: reason };
  }
  if ("error" in parsed) {
    return {
      ...base,
      file,
      sizeBytes: parsed.size,
      error: `not a readable ONNX model: ${parsed.error}`,
    };
  }
  const { info } = parsed;
  const bitWidths: Record<string, number> = {};
  for (const [bits, count] of Object.entries(info.weightsByBits)) bitWidths[bits] = count;
  const entry: ModelReport = { ...base, file, sizeBytes: parsed.size, bitWidths };
  refine?.(info, entry);
  return entry;
}

type Parsed = { size: number; info: OnnxInfo } | { size: number; error: string };

/** Parsed files by path, valid while size and mtime are unchanged (a stat per request). */
const cache = new Map<string, { key: string; parsed: Parsed }>();

/** How often model files were read and parsed vs. answered from the cache (tests, status). */
export const modelCache = { reads: 0, hits: 0 };

async function parseCached(resolved: string): Promise<Parsed> {
  const st = await Deno.stat(resolved);
  const key = `${st.size}:${st.mtime?.getTime() ?? 0}`;
  const hit = cache.get(resolved);
  if (hit && hit.key === key) {
    modelCache.hits++;
    return hit.parsed;
  }
  modelCache.reads++;
  const bytes = await Deno.readFile(resolved);
  let parsed: Parsed;
  try {
    parsed = { size: bytes.length, info: readOnnxInfo(bytes) };
  } catch (err) {
    parsed = { size: bytes.length, error: (err as Error).message };
  }
  cache.set(resolved, { key, parsed });
  return parsed;
}

function tunedThreshold(info: OnnxInfo): number | undefined {
  const v = Number(info.metadata.threshold);
  return info.metadata.threshold !== undefined && v > 0 && v < 1 ? v : undefined;
}

/** The model files the stages load when the configuration names none (given by app/). */
export interface ModelDefaults {
  /** The VAD model (pipeline/vad.ts `defaultVadModelPath()`). */
  vad: string;
  /** The command model (asr/recognizer.ts `DEFAULT_ASR_MODEL`). */
  asr: string;
}

/**
 * Every model the configuration uses (VAD, each wake model, the ASR model),
 * with `bitWidths` mapping storage bits to the number of weights stored so,
 * e.g. `{ "4": 9000, "32": 64 }`. `defaults` are the files used where the
 * configuration names none.
 */
export async function describeModels(
  config: Config,
  defaults: ModelDefaults,
): Promise<ModelReport[]> {
  const out: Promise<ModelReport>[] = [
    describeModelFile(config.vad.model || defaults.vad, {
      id: "vad",
      kind: "vad",
      thresholds: {
        speech: config.vad.threshold,
        silence: config.vad.negThreshold,
        energyGateDb: config.vad.energyGateDb,
      },
    }),
  ];
  if (config.wake.enabled) {
    for (const m of config.wake.models) {
      out.push(describeModelFile(m.path, {
        id: m.id,
        kind: "wake",
        phrase: m.phrase ?? m.id.replaceAll("_", " "),
        thresholds: { wake: m.threshold ?? config.wake.threshold },
      }, (info, entry) => {
        if (m.threshold === undefined) {
          entry.thresholds = { wake: tunedThreshold(info) ?? config.wake.threshold };
        }
        if (m.phrase === undefined && info.metadata.phrase) entry.phrase = info.metadata.phrase;
      }));
    }
  }
  if (config.asr.enabled) {
    out.push(describeModelFile(config.asr.model || defaults.asr, {
      id: "asr",
      kind: "asr",
      thresholds: { confidence: config.asr.confidenceThreshold },
    }));
  }
  return await Promise.all(out);
}
