/**
 * earshot command line.
 *
 *   deno task demo                      stream the bundled sample through the pipeline
 *   deno task run -- --input a.wav --json
 *   arecord ... | deno task run -- --stdin --rate 16000 --json
 *   deno task run -- --mic --device plughw:1,0 --json
 *   deno task start                     the assistant: microphone, API, MQTT
 *   deno task run -- models             report the models' inputs and bit widths
 *
 * Exit codes: 0 done, 1 runtime failure, 2 bad usage or configuration.
 * @module
 */
import { parseArgs } from "node:util";
import { type Config, ConfigError, loadConfig } from "./pipeline/config.ts";
import { EventBus } from "./pipeline/bus.ts";
import { streamTime } from "./pipeline/events.ts";
import { Pipeline } from "./pipeline/pipeline.ts";
import { createStages } from "./pipeline/stages.ts";
import {
  micSource,
  pcmSource,
  SourceError,
  type SourceReporter,
  wavSource,
} from "./pipeline/audio/sources.ts";
import { WavError } from "./pipeline/audio/wav.ts";
import { humanLine, jsonLines, writeStdoutLine } from "./pipeline/sinks/jsonl.ts";
import { describeModel, loadModel, ModelError } from "./models/ort.ts";
import { defaultVadModelPath } from "./pipeline/vad.ts";

/** The bundled sample the demo streams. */
export const DEMO_WAV = new URL("./assets/demo.wav", import.meta.url).pathname;

const USAGE = `usage: earshot <command> [options]

commands:
  run       process audio: --input FILE | --stdin [--rate HZ --channels N] | --mic [--device DEV]
  demo      stream the bundled sample (${"assets/demo.wav"}) through the pipeline
  start     run the assistant on the microphone
  models    report the configured models (inputs, opsets, weight bit widths)

options:
  --config FILE    JSON configuration (see README "Configuration")
  --json           print events as JSON lines (default for run)
  --levels         include periodic "level" events
  --realtime       pace file input like a live microphone
  -h, --help       this text`;

class UsageError extends Error {}

function parseCli(args: string[]) {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      config: { type: "string" },
      input: { type: "string", short: "i" },
      stdin: { type: "boolean" },
      mic: { type: "boolean" },
      device: { type: "string" },
      rate: { type: "string" },
      channels: { type: "string" },
      json: { type: "boolean" },
      human: { type: "boolean" },
      levels: { type: "boolean" },
      realtime: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  return { values: { ...values }, positionals };
}

function intFlag(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) {
    throw new UsageError(`--${name}: expected a positive integer, got "${raw}"`);
  }
  return n;
}

/** Translate CLI flags to config overrides (dotted paths). */
export function flagOverrides(values: ReturnType<typeof parseCli>["values"]) {
  const o: Record<string, unknown> = {};
  const sources = [values.input !== undefined, !!values.stdin, !!values.mic].filter(Boolean).length;
  if (sources > 1) throw new UsageError("choose one of --input, --stdin, --mic");
  if (values.input !== undefined) {
    o["audio.source"] = "wav";
    o["audio.input"] = values.input;
  }
  if (values.stdin) o["audio.source"] = "stdin";
  if (values.mic) o["audio.source"] = "mic";
  if (values.device !== undefined) o["audio.micDevice"] = values.device;
  const rate = intFlag("rate", values.rate);
  if (rate !== undefined) {
    if (values.mic) o["audio.micRate"] = rate;
    else o["audio.stdinRate"] = rate;
  }
  const channels = intFlag("channels", values.channels);
  if (channels !== undefined) o["audio.stdinChannels"] = channels;
  if (values.realtime) o["audio.realtime"] = true;
  return o;
}

/** Open the configured source. */
function openSource(config: Config, report: SourceReporter, signal: AbortSignal) {
  const a = config.audio;
  switch (a.source) {
    case "wav":
      if (!a.input) {
        throw new UsageError("no input: give --input FILE (or audio.input in the config)");
      }
      return wavSource(a.input, { realtime: a.realtime, report, signal });
    case "stdin":
      return pcmSource(Deno.stdin.readable, {
        rate: a.stdinRate,
        channels: a.stdinChannels,
        report,
      });
    case "mic":
      return micSource({
        device: a.micDevice,
        rate: a.micRate,
        arecord: a.arecord,
        restartMinMs: a.restartMinMs,
        restartMaxMs: a.restartMaxMs,
        report,
        signal,
      });
  }
}

/** Stream the configured source through the pipeline, printing events. */
async function runPipeline(config: Config, opts: { json: boolean; levels: boolean }) {
  const bus = new EventBus();
  if (opts.json) bus.on(jsonLines({ exclude: opts.levels ? [] : ["level"] }));
  else {
    bus.on((e) => {
      const line = humanLine(e);
      if (line) writeStdoutLine(line);
    });
  }
  const stages = await createStages(config, bus);
  const pipeline = await Pipeline.create(config, bus, { stages });
  const abort = new AbortController();
  const stop = () => abort.abort();
  try {
    Deno.addSignalListener("SIGINT", stop);
    Deno.addSignalListener("SIGTERM", stop);
  } catch { /* signals unsupported here */ }
  const report: SourceReporter = (e) =>
    bus.emit({ type: "source", t: streamTime(pipeline.frontEnd.stats.samples), ...e });
  try {
    for await (const chunk of openSource(config, report, abort.signal)) {
      await pipeline.push(chunk);
      if (abort.signal.aborted) break;
    }
    await pipeline.end();
  } finally {
    await pipeline.close();
    try {
      Deno.removeSignalListener("SIGINT", stop);
      Deno.removeSignalListener("SIGTERM", stop);
    } catch { /* ignore */ }
  }
  return pipeline;
}

async function reportModels(config: Config) {
  const paths = [
    config.vad.model || defaultVadModelPath(),
    ...config.wake.models.map((m) => m.path),
  ];
  if (config.asr.model) paths.push(config.asr.model);
  for (const path of paths) {
    const m = await loadModel(path);
    writeStdoutLine(JSON.stringify(describeModel(m)));
  }
}

/** Entry point; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseCli(args);
  } catch (err) {
    console.error(`earshot: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const command = positionals[0] ?? "help";
  if (values.help || command === "help") {
    console.log(USAGE);
    return 0;
  }
  try {
    const overrides = flagOverrides(values);
    if (command === "demo" && overrides["audio.source"] === undefined) {
      overrides["audio.source"] = "wav";
      overrides["audio.input"] = DEMO_WAV;
    }
    if (command === "start" && overrides["audio.source"] === undefined) {
      overrides["audio.source"] = "mic";
    }
    const config = await loadConfig({
      file: values.config,
      env: Deno.env.toObject(),
      overrides,
    });
    switch (command) {
      case "run":
      case "demo":
      case "start": {
        const json = values.json ?? (command === "run" && !values.human);
        const p = await runPipeline(config, { json, levels: !!values.levels });
        if (command === "demo") {
          console.error(
            `demo: ${p.seconds.toFixed(2)} s of audio in ${p.computeMs.toFixed(0)} ms ` +
              `(real-time factor ${p.realTimeFactor.toFixed(4)})`,
          );
        }
        return 0;
      }
      case "models":
        await reportModels(config);
        return 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`earshot: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    if (err instanceof ConfigError) {
      console.error(`earshot: invalid configuration:\n${err.message}`);
      return 2;
    }
    if (err instanceof WavError || err instanceof SourceError || err instanceof ModelError) {
      console.error(`earshot: ${err.message}`);
      return 1;
    }
    console.error(`earshot: unexpected failure: ${(err as Error).stack ?? err}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
