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
import { type Config, ConfigError, loadConfig } from "./core/config.ts";
import { redactUrl } from "./core/secrets.ts";
import { EventBus } from "./core/bus.ts";
import { SourceError } from "./audio/sources.ts";
import { WavError } from "./audio/wav.ts";
import { RegistryError } from "./home/registry.ts";
import { TemplateError } from "./intent/template.ts";
import { TokenError } from "./api/token.ts";
import { ApiListenError, lanNames } from "./api/server.ts";
import { runAssistant } from "./app/assistant.ts";
import { humanLine, jsonLines, writeStdoutLine } from "./app/jsonl.ts";
import { ModelError } from "./core/ort.ts";
import { modelDefaults } from "./app/stages.ts";
import { describeModels } from "./api/models.ts";
import { LexiconError } from "./asr/lexicon.ts";
import { GrammarError } from "./asr/graph.ts";
import { listCaptureDevices, recordLevels } from "./audio/mics.ts";
import { analyzeLevels, meter } from "./audio/levels.ts";

/** The bundled sample the demo streams. */
export const DEMO_WAV = new URL("./assets/demo.wav", import.meta.url).pathname;
/** The example device registry the demo uses. */
export const DEMO_DEVICES = new URL("./devices/example.devices.json", import.meta.url).pathname;

const USAGE = `usage: earshot <command> [options]      (earshot <command> --help for its options)

commands:
  run       process audio: --input FILE | --stdin [--rate HZ --channels N] | --mic [--device DEV]
  demo      stream the bundled sample (assets/demo.wav) through the whole assistant, with the
            example devices (devices/example.devices.json) on an embedded MQTT broker
  start     run the assistant on the microphone, with the devices, MQTT and the status API
  models    report the configured models (inputs, opsets, weight bit widths)
  mics      list the capture devices, record a few seconds: level meter and a verdict

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
  --debug          print the stack of an unexpected failure
  -h, --help       this text`;

const COMMON = `  --config FILE    JSON configuration (see README "Configuration")
  --debug          print the stack of an unexpected failure
  -h, --help       this text`;

const OUTPUT = `  --json           print events as JSON lines
  --human          print events as short sentences
  --levels         include periodic "level" events`;

const DEVICES = `  --devices FILE   device registry (devices.file)
  --broker URL     MQTT broker (mqtt.url); unset starts an embedded broker`;

const api = (on: boolean) =>
  `  --api / --no-api start the status API or not (default: ${on ? "on" : "off"})
  --api-host HOST  --api-port PORT   where the API listens (0: any free port)`;

/** Help of each command (`earshot <command> --help`). */
export const COMMAND_HELP: Record<string, string> = {
  run: `usage: earshot run (--input FILE | --stdin | --mic) [options]

Stream audio through the pipeline and print its events (JSON lines by default). Ends when the
input ends (a file, stdin) or on SIGINT/SIGTERM.

input:
  -i, --input FILE WAV file (any rate, channels, PCM or float), read in chunks
  --stdin          raw s16le PCM on standard input  [--rate HZ (16000)  --channels N (1)]
  --mic            live microphone through arecord  [--device DEV (default)  --rate HZ]
  --realtime       pace file input like a live microphone
output:
${OUTPUT}
intents (off unless --devices is given):
${DEVICES}
${api(false)}
${COMMON}`,
  demo: `usage: earshot demo [options]

Stream assets/demo.wav ("hey computer ... turn on the kitchen light") through the whole assistant,
with the example devices (devices/example.devices.json) simulated on an embedded MQTT broker, so
the command ends "confirmed". Needs nothing but the npm packages.

options:
  -i, --input FILE another WAV file in place of the sample
${OUTPUT}
${DEVICES}
${api(false)}
${COMMON}`,
  start: `usage: earshot start [options]

The assistant: microphone (arecord) -> pipeline -> intents -> MQTT, plus the status API and
dashboard. Stops on SIGINT or SIGTERM within 2 s: the microphone stops, sent commands are flushed,
"offline" is published on the availability topic, the API closes.

options:
  --device DEV     ALSA capture device (audio.micDevice; see earshot mics)  --rate HZ
${DEVICES}
${api(true)}
${OUTPUT}
${COMMON}`,
  mics: `usage: earshot mics [--device DEV] [--seconds N]

List the ALSA capture devices (arecord -l), then record N seconds (default 5) from DEV (default
audio.micDevice, "default") with a level meter per 100 ms, and say whether the level is fine,
clipping, too quiet or silent.

options:
  --device DEV     the device to record from, e.g. plughw:1,0
  --seconds N      how long to record (1-60)
${COMMON}`,
  models: `usage: earshot models [options]

Print one JSON line per configured model: file, size, inputs, opset, weights per bit width.

options:
${COMMON}`,
};

class UsageError extends Error {}

/** A stop signal must end the process within this time (the Pi's service manager waits less). */
const SHUTDOWN_LIMIT_MS = 1900;

/** Every command-line option (node:util parseArgs). */
export const CLI_OPTIONS = {
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
  debug: { type: "boolean" },
  seconds: { type: "string" },
} as const;

function parseCli(args: string[]) {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: CLI_OPTIONS,
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
  opts: {
    json: boolean;
    levels: boolean;
    devices: boolean;
    api: boolean;
    simulate: boolean;
    remoteState: boolean;
  },
) {
  // With the API on (start), events carry their wall-clock time (`at`) for the dashboard and
  // SSE clients; `run` output stays reproducible for a file.
  const bus = new EventBus(opts.api ? { clock: Date.now } : {});
  if (opts.json) bus.on(jsonLines({ exclude: opts.levels ? [] : ["level"] }));
  else {
    bus.on((e) => {
      const line = humanLine(e);
      if (line) writeStdoutLine(line);
    });
  }
  const abort = new AbortController();
  // First signal: stop the source, flush, publish "offline", close the API. A second one, or
  // a shutdown stuck past SHUTDOWN_LIMIT_MS, exits at once.
  let guard: ReturnType<typeof setTimeout> | undefined;
  const onSignal = (name: "SIGINT" | "SIGTERM") => () => {
    if (abort.signal.aborted) {
      console.error(`earshot: ${name} again: exiting now`);
      Deno.exit(130);
    }
    console.error(`earshot: ${name}: stopping`);
    abort.abort();
    guard = setTimeout(() => {
      console.error(`earshot: shutdown took over ${SHUTDOWN_LIMIT_MS} ms: exiting now`);
      Deno.exit(1);
    }, SHUTDOWN_LIMIT_MS);
  };
  const handlers = { SIGINT: onSignal("SIGINT"), SIGTERM: onSignal("SIGTERM") } as const;
  try {
    Deno.addSignalListener("SIGINT", handlers.SIGINT);
    Deno.addSignalListener("SIGTERM", handlers.SIGTERM);
  } catch { /* signals unsupported here */ }
  try {
    return await runAssistant(config, bus, {
      devices: opts.devices,
      api: opts.api,
      simulateDevices: opts.simulate,
      remoteState: opts.remoteState,
      warn: (message) => console.error(`earshot: warning: ${redactUrl(message)}`),
      onReady: (info) => {
        if (opts.simulate) {
          console.error("earshot: demo: the example devices are simulated on the embedded broker");
        }
        if (info.apiUrl) {
          console.error(`earshot: status page ${info.apiUrl}/ (token: ${info.tokenSource})`);
          if (config.api.lan) {
            const name = lanNames().find((n) => n.endsWith(".local")) ?? "<this machine>";
            console.error(
              `earshot: on the network: http://${name}:${
                new URL(info.apiUrl).port
              }/?token=<token> ` +
                `(api.lan; the token is in ${info.tokenSource})`,
            );
          }
        }
        if (info.brokerUrl && !opts.json) {
          console.error(`earshot: MQTT broker ${redactUrl(info.brokerUrl)}`);
        }
      },
    }, abort.signal);
  } finally {
    clearTimeout(guard);
    try {
      Deno.removeSignalListener("SIGINT", handlers.SIGINT);
      Deno.removeSignalListener("SIGTERM", handlers.SIGTERM);
    } catch { /* ignore */ }
  }
}

/** `earshot mics`: list the capture devices, record a few seconds, meter and verdict. */
async function micsCommand(config: Config, device: string | undefined, rawSeconds?: string) {
  const seconds = intFlag("seconds", rawSeconds) ?? 5;
  if (seconds > 60) throw new UsageError(`--seconds: at most 60, got ${seconds}`);
  const bin = config.audio.arecord;
  const { devices, message } = await listCaptureDevices(bin);
  if (devices.length === 0) {
    writeStdoutLine(`no capture devices${message ? ` (${message})` : ""}`);
  } else {
    writeStdoutLine("capture devices (use --device or audio.micDevice):");
    for (const d of devices) {
      writeStdoutLine(`  ${d.alsa.padEnd(12)} ${d.cardName}: ${d.deviceName}`);
    }
  }
  const dev = device ?? config.audio.micDevice;
  writeStdoutLine(`recording ${seconds} s from ${dev}: speak at your usual distance...`);
  const samples = await recordLevels({
    arecord: bin,
    device: dev,
    seconds,
    onWindow: (db, clipped) => writeStdoutLine(meter(db, clipped)),
  });
  const r = analyzeLevels(samples);
  writeStdoutLine(
    `${dev}: ${r.verdict.toUpperCase()}: ${r.advice} ` +
      `(peak ${r.peakDb} dBFS, RMS ${r.rmsDb} dBFS, floor ${r.floorDb} dBFS)`,
  );
  return 0;
}

async function reportModels(config: Config) {
  for (const report of await describeModels(config, modelDefaults())) {
    writeStdoutLine(JSON.stringify(report));
  }
}

/**
 * The message of an unexpected failure: one line, or the whole stack with `--debug`.
 * @example
 * ```ts
 * unexpectedFailure(new TypeError("x is undefined"), false);
 * // 'earshot: unexpected failure: TypeError: x is undefined (run again with --debug for the stack)'
 * ```
 */
export function unexpectedFailure(err: unknown, debug: boolean): string {
  const e = err instanceof Error ? err : new Error(String(err));
  if (debug) return `earshot: unexpected failure: ${e.stack ?? e}`;
  const first = String(e.message).split("\n")[0];
  return `earshot: unexpected failure: ${e.name}: ${first} (run again with --debug for the stack)`;
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
  if (command === "help" || values.help) {
    const topic = command === "help" ? positionals[1] : command;
    if (topic !== undefined && !COMMAND_HELP[topic]) {
      console.error(`earshot: unknown command "${topic}"\n\n${USAGE}`);
      return 2;
    }
    console.log(topic ? COMMAND_HELP[topic] : USAGE);
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
          remoteState: command === "start",
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
      case "mics":
        return await micsCommand(config, values.device, values.seconds);
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
      err instanceof TokenError || err instanceof LexiconError || err instanceof GrammarError
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
    console.error(redactUrl(unexpectedFailure(err, !!values.debug)));
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
