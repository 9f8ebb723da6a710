/**
 * Model descriptions for `/api/status`: file, size, weight bit widths (read
 * from the ONNX file itself, no session needed) and the thresholds the config
 * puts on each model.
 * @module
 */
import type { Config } from "../pipeline/config.ts";
import { defaultVadModelPath } from "../pipeline/vad.ts";
import { readOnnxInfo } from "../models/onnx_info.ts";
import type { ModelInfo } from "./status.ts";

function shortPath(path: string): string {
  const cwd = Deno.cwd() + "/";
  return path.startsWith(cwd) ? path.slice(cwd.length) : path;
}

/** Describe one model file; a missing or unreadable file gives sizeBytes null and an error. */
export async function describeModelFile(
  path: string,
  base: Omit<ModelInfo, "file" | "sizeBytes">,
): Promise<ModelInfo & { error?: string }> {
  const file = shortPath(path);
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (err) {
    const reason = err instanceof Deno.errors.NotFound ? "file not found" : (err as Error).message;
    return { ...base, file, sizeBytes: null, error: reason };
  }
  try {
    const info = readOnnxInfo(bytes);
    const bitWidths: Record<string, number> = {};
    for (const [bits, count] of Object.entries(info.weightsByBits)) bitWidths[bits] = count;
    return { ...base, file, sizeBytes: bytes.length, bitWidths };
  } catch (err) {
    return {
      ...base,
      file,
      sizeBytes: bytes.length,
      error: `not a readable ONNX model: ${(err as Error).message}`,
    };
  }
}

/**
 * Every model the configuration uses (VAD, each wake model, the ASR model),
 * with `bitWidths` mapping storage bits to the number of weights stored so,
 * e.g. `{ "4": 9000, "32": 64 }`.
 */
export async function describeModels(config: Config): Promise<ModelInfo[]> {
  const out: Promise<ModelInfo>[] = [
    describeModelFile(config.vad.model || defaultVadModelPath(), {
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
        phrase: m.phrase,
        thresholds: { wake: m.threshold ?? config.wake.threshold },
      }));
    }
  }
  if (config.asr.enabled && config.asr.model) {
    out.push(describeModelFile(config.asr.model, {
      id: "asr",
      kind: "asr",
      thresholds: { confidence: config.asr.confidenceThreshold },
    }));
  }
  return await Promise.all(out);
}
