/**
 * onnxruntime-node sessions for earshot's models: one intra-op thread and no
 * spinning by default (the Pi's other cores belong to the rest of the
 * pipeline), clear errors for a missing file, a corrupt model or a wrong input
 * shape, and a report of inputs, opsets and weight bit widths.
 * @module
 */
import * as ort from "onnxruntime-node";
import { type OnnxInfo, readOnnxInfo } from "./onnx_info.ts";

export { ort };

/** A model problem; the message names the file. */
export class ModelError extends Error {
  override name = "ModelError";
}

/** Session options earshot cares about. */
export interface LoadOptions {
  /** Intra-op threads (default 1). */
  threads?: number;
  /** Let idle threads spin (default false: no busy waiting). */
  spinning?: boolean;
  /** "all" (default), "extended", "basic" or "disabled". */
  optimization?: "all" | "extended" | "basic" | "disabled";
  /** Write the optimized graph here (to see which kernels run). */
  optimizedModelPath?: string;
}

/** Shape and type of one model input or output. */
export interface IoInfo {
  name: string;
  type: string;
  /** Dimensions; strings or -1 are free (batch, time). */
  shape: (number | string)[];
}

/** A loaded model: the session plus what earshot reports about it. */
export interface LoadedModel {
  path: string;
  sizeBytes: number;
  session: ort.InferenceSession;
  inputs: IoInfo[];
  outputs: IoInfo[];
  info: OnnxInfo;
  /** Run with shape checks; errors name the model and the input. */
  run(feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>>;
}

function ioInfo(meta: readonly ort.InferenceSession.ValueMetadata[]): IoInfo[] {
  return meta.map((m) =>
    m.isTensor
      ? { name: m.name, type: String(m.type), shape: [...m.shape] as (number | string)[] }
      : { name: m.name, type: "non-tensor", shape: [] }
  );
}

/** Check a feed against the model's declared inputs. Returns an error message or null. */
export function checkFeeds(inputs: IoInfo[], feeds: Record<string, ort.Tensor>): string | null {
  for (const input of inputs) {
    const t = feeds[input.name];
    if (!t) return `missing input "${input.name}"`;
    if (input.type !== "non-tensor" && t.type !== input.type) {
      return `input "${input.name}" has type ${t.type}, expected ${input.type}`;
    }
    if (input.shape.length && t.dims.length !== input.shape.length) {
      return `input "${input.name}" has shape [${t.dims}], expected [${input.shape}]`;
    }
    for (let i = 0; i < input.shape.length; i++) {
      const d = input.shape[i];
      if (typeof d === "number" && d >= 0 && t.dims[i] !== d) {
        return `input "${input.name}" has shape [${t.dims}], expected [${input.shape}]`;
      }
    }
  }
  for (const name of Object.keys(feeds)) {
    if (!inputs.some((i) => i.name === name)) {
      return `unknown input "${name}" (model takes ${inputs.map((i) => i.name).join(", ")})`;
    }
  }
  return null;
}

/** Load an ONNX model from a path. Throws {@link ModelError} naming the file. */
export async function loadModel(path: string, options: LoadOptions = {}): Promise<LoadedModel> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (err) {
    throw new ModelError(
      err instanceof Deno.errors.NotFound
        ? `${path}: model file not found`
        : `${path}: cannot read model: ${(err as Error).message}`,
    );
  }
  let info: OnnxInfo;
  try {
    info = readOnnxInfo(bytes);
  } catch (err) {
    throw new ModelError(`${path}: corrupt or not an ONNX model (${(err as Error).message})`);
  }
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, {
      intraOpNumThreads: options.threads ?? 1,
      interOpNumThreads: 1,
      executionMode: "sequential",
      logSeverityLevel: 3,
      graphOptimizationLevel: options.optimization ?? "all",
      ...(options.optimizedModelPath ? { optimizedModelFilePath: options.optimizedModelPath } : {}),
      extra: {
        session: {
          intra_op: { allow_spinning: options.spinning ? "1" : "0" },
          inter_op: { allow_spinning: options.spinning ? "1" : "0" },
        },
      },
    });
  } catch (err) {
    throw new ModelError(`${path}: onnxruntime cannot load the model: ${(err as Error).message}`);
  }
  const inputs = ioInfo(session.inputMetadata);
  const outputs = ioInfo(session.outputMetadata);
  return {
    path,
    sizeBytes: bytes.length,
    session,
    inputs,
    outputs,
    info,
    async run(feeds) {
      const problem = checkFeeds(inputs, feeds);
      if (problem) throw new ModelError(`${path}: ${problem}`);
      try {
        return await session.run(feeds) as Record<string, ort.Tensor>;
      } catch (err) {
        throw new ModelError(`${path}: inference failed: ${(err as Error).message}`);
      }
    },
  };
}

/** A short human report of a model (for `earshot models` and the status API). */
export function describeModel(m: LoadedModel) {
  return {
    file: m.path,
    sizeBytes: m.sizeBytes,
    irVersion: m.info.irVersion,
    opsets: m.info.opsets,
    inputs: m.inputs,
    outputs: m.outputs,
    weightsByBits: m.info.weightsByBits,
    ops: m.info.ops,
  };
}
