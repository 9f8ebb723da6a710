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
import { redactUrl } from "./pipeline/secrets.ts";
import { EventBus } from "./pipeline/bus.ts";
import { SourceError } from "./pipeline/audio/sources.ts";
import { WavError } from "./pipeline/audio/wav.ts";
import { RegistryError } from "./devices/registry.ts";
import { TemplateError } from "./pipeline/intent/template.ts";
import { TokenError } from "./api/token.ts";
import { ApiListenError } from "./api/server.ts";
import { runAssistant } from "./assistant.ts";
import { humanLine, jsonLines, writeStdoutLine } from "./pipeline/sinks/jsonl.ts";
import { ModelError } from "./models/ort.ts";
import { describeModels } from "./api/models.ts";

/** The bundled sample the demo streams. */
export const DEMO_WAV = new URL("./assets/demo.wav", import.meta.url).pathname;
/** The example device registry the demo uses. */
export const DEMO_DEVICES = new URL("./devices/example.devices.json", import.meta.url).pathname;

const USAGE = `usage: earshot <command> [options]

commands:
  run       process audio: --input FILE | --stdin [--rate HZ --channels N] | --mic [--device DEV]
  demo      stream the bundled sample (assets/demo.wav) through the whole assistant, with the
            example devices (devices/example.devices.json) on an embedded MQTT broker
  start     run the assistant on the microphone, with the devices, MQTT and the status API
  models    report the configured models (inputs, opsets, weight bit widths)

options:
  --config FILE    JSON configuration (see README "Configuration")
  --devices FILE   device registry (devices.file); with run, turns intents and MQTT on
  --broker URL     MQTT broker (mqtt.url); unset starts an embedded broker
  --json           print events as JSON lines (default for run)
  --human          print events as short sentences (default for demo and start)
  --levels         include periodic "level" events
  --realtime       pace file input like a live microphone
  --api / --no-api start the status API (default: on for start, off for run and demo)
  --api-host HOST  --api-port PORT   where the API listens
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
      devices: { type: "string" },
      broker: { type: "string" },
      api: { type: "boolean" },
      "no-api": { type: "boolean" },
      "api-host": { type: "string" },
      "api-port": { type: "string" },
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
  if (values.devices !== undefined) o["devices.file"] = values.devices;
  if (values.broker !== undefined) o["mqtt.url"] = values.broker;
  if (values["api-host"] !== undefined) o["api.host"] = values["api-host"];
  const port = values["api-port"] === "0" ? 0 : intFlag("api-port", values["api-port"]);
  if (port !== undefined) o["api.port"] = port;
  return o;
}

/** Stream the configured source through the assistant, printing events. */
async function runCommand(
  config: Config,
  opts: { json: boolean; levels: boolean; devices: boolean; api: boolean; simulate: boolean },
) {
  const bus = new EventBus();
  if (opts.json) bus.on(jsonLines({ exclude: opts.levels ? [] : ["level"] }));
  else {
    bus.on((e) => {
      const line = humanLine(e);
      if (line) writeStdoutLine(line);
    });
  }
  const abort = new AbortController();
  const stop = () => abort.abort();
  try {
    Deno.addSignalListener("SIGINT", stop);
    Deno.addSignalListener("SIGTERM", stop);
  } catch { /* signals unsupported here */ }
  try {
    return await runAssistant(config, bus, {
      devices: opts.devices,
      api: opts.api,
      simulateDevices: opts.simulate,
      warn: (message) => console.error(`earshot: warning: ${redactUrl(message)}`),
      onReady: (info) => {
        if (opts.simulate) {
          console.error("earshot: demo: the example devices are simulated on the embedded broker");
        }
        if (info.apiUrl) {
          console.error(`earshot: status page ${info.apiUrl}/ (token: ${info.tokenSource})`);
        }
        if (info.brokerUrl && !opts.json) {
          console.error(`earshot: MQTT broker ${redactUrl(info.brokerUrl)}`);
        }
      },
    }, abort.signal);
  } finally {
    try {
      Deno.removeSignalListener("SIGINT", stop);
      Deno.removeSignalListener("SIGTERM", stop);
    } catch { /* ignore */ }
  }
}

async function reportModels(config: Config) {
  for (const report of await describeModels(config)) writeStdoutLine(JSON.stringify(report));
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
    if (command === "demo") {
      if (overrides["audio.source"] === undefined) {
        overrides["audio.source"] = "wav";
        overrides["audio.input"] = DEMO_WAV;
      }
      overrides["devices.file"] ??= DEMO_DEVICES;
      overrides["mqtt.embeddedPort"] ??= 0; // never collide with a broker already on 1883
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
        if (values.api && values["no-api"]) throw new UsageError("choose one of --api, --no-api");
        if (config.audio.source === "wav" && !config.audio.input) {
          throw new UsageError("no input: give --input FILE (or audio.input in the config)");
        }
        const p = await runCommand(config, {
          json,
          levels: !!values.levels,
          devices: command !== "run" || config.devices.file !== undefined,
          api: values.api ?? (command === "start" && !values["no-api"]),
          simulate: command === "demo" && config.devices.file === DEMO_DEVICES && !config.mqtt.url,
        });
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
    if (
      err instanceof ConfigError || err instanceof RegistryError || err instanceof TemplateError ||
      err instanceof TokenError
    ) {
      console.error(`earshot: invalid configuration:\n${redactUrl(err.message)}`);
      return 2;
    }
    if (
      err instanceof WavError || err instanceof SourceError || err instanceof ModelError ||
      err instanceof ApiListenError
    ) {
      console.error(`earshot: ${redactUrl(err.message)}`);
      return 1;
    }
    console.error(`earshot: unexpected failure: ${redactUrl(String((err as Error).stack ?? err))}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
