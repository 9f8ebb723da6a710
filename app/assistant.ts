/**
 * The assistant as a whole: one audio source through the pipeline and its
 * model stages, the devices runtime (intents -> MQTT) and the status API, all
 * on one event bus. main.ts parses the command line and calls {@link runAssistant}.
 * @module
 */
import { apiBindHost, type Config, ConfigError } from "../core/config.ts";
import type { EventBus } from "../core/bus.ts";
import { streamTime } from "../core/events.ts";
import { Pipeline } from "../pipeline/pipeline.ts";
import type { FrameStage } from "../pipeline/frame.ts";
import { buildRecognizer, createStages, RecognizerSlot } from "./stages.ts";
import { SileroModel } from "../pipeline/vad.ts";
import {
  micSource,
  pcmSource,
  SourceError,
  type SourceReporter,
  wavSource,
} from "../audio/sources.ts";
import { type DeviceRuntime, startDevices } from "../devices/runtime.ts";
import { Simulator } from "../devices/simulator.ts";
import { type RunningApi, startApi } from "../api/server.ts";
import { StatusCollector } from "../api/status.ts";
import { Waiter } from "../core/async.ts";
import { RemoteControl } from "../core/remote.ts";
import { WakeDetector } from "../wake/detector.ts";
import { muteWhilePlaying, type RunningVoice, startVoice, voiceActive } from "./voice.ts";
import { assistantApiServices } from "./api_services.ts";

import { VERSION } from "../core/version.ts";
export { VERSION };

/** Which parts to run. */
export interface AssistantOptions {
  /** Start the devices runtime (intents -> MQTT). */
  devices: boolean;
  /** Start the status API (when config.api.enabled). */
  api: boolean;
  /** Answer commands with simulated example devices on the broker (the demo). */
  simulateDevices?: boolean;
  /**
   * Read and write `remote.stateFile` (mute, sensitivity; default true). `demo` and `run` do
   * not: a satellite muted from Home Assistant must not mute a run over a file.
   */
  remoteState?: boolean;
  /** Receives start-up warnings (e.g. words without a pronunciation). */
  warn?: (message: string) => void;
  /** Called once everything is up (API URL, broker URL). */
  onReady?: (info: { apiUrl?: string; tokenSource?: string; brokerUrl?: string }) => void;
}

/** One permission the configuration needs, and the config field that asks for it. */
export interface NeededPermission {
  name: "net" | "run";
  /** `host:port` for net, the program for run. */
  value: string;
  /** What asks for it, e.g. "mqtt.url mqtt://192.168.1.5:1883". */
  why: string;
}

const DEFAULT_PORTS: Record<string, number> = {
  "mqtt:": 1883,
  "tcp:": 1883,
  "mqtts:": 8883,
  "ssl:": 8883,
  "tls:": 8883,
  "ws:": 80,
  "wss:": 443,
};

const hostPort = (host: string, port: number) =>
  `${host.includes(":") && !host.startsWith("[") ? `[${host}]` : host}:${port}`;

/**
 * The network addresses and programs this configuration uses: the API's
 * listening address, the broker (or the embedded one's address), arecord
 * for the microphone and aplay for the voice back (answers). espeak-ng and flite are left
 * out: they are only asked for words without a pronunciation and for spoken replies, and
 * their absence is a warning (sounds only), not a failure.
 *
 * @example
 * ```ts
 * import { parseConfig } from "../core/config.ts";
 * neededPermissions(parseConfig({}), { devices: true, api: true });
 * // [{ name: "net", value: "127.0.0.1:8089", why: "api.host:api.port" }, ...]
 * ```
 */
export function neededPermissions(
  config: Config,
  options: Pick<AssistantOptions, "devices" | "api">,
): NeededPermission[] {
  const out: NeededPermission[] = [];
  if (options.api && config.api.enabled) {
    out.push({
      name: "net",
      value: hostPort(apiBindHost(config.api), config.api.port),
      why: config.api.lan ? "api.lan (api.host:api.port)" : "api.host:api.port",
    });
  }
  if (options.devices) {
    const m = config.mqtt;
    if (m.url) {
      try {
        const u = new URL(m.url);
        const port = u.port ? Number(u.port) : DEFAULT_PORTS[u.protocol] ?? 1883;
        const host = u.hostname.replace(/^\[|\]$/g, "");
        out.push({ name: "net", value: hostPort(host, port), why: `mqtt.url ${u.host}` });
      } catch { /* the MQTT link names a bad URL */ }
    } else {
      out.push({
        name: "net",
        value: hostPort(m.embeddedHost, m.embeddedPort),
        why: "mqtt.embeddedHost:mqtt.embeddedPort (embedded broker)",
      });
    }
  }
  if (config.audio.source === "mic") {
    out.push({ name: "run", value: config.audio.arecord, why: "audio.arecord" });
  }
  if (voiceActive(config)) {
    out.push({ name: "run", value: config.answers.aplay, why: "answers.aplay (answers.enabled)" });
  }
  return out;
}

/**
 * Refuse to start (a ConfigError, exit 2) when Deno's permissions do not
 * cover what the configuration needs, naming the field and the flag to widen,
 * instead of failing later deep in a connection attempt.
 */
export async function checkPermissions(
  config: Config,
  options: Pick<AssistantOptions, "devices" | "api">,
): Promise<void> {
  const missing: string[] = [];
  for (const p of neededPermissions(config, options)) {
    const desc: Deno.PermissionDescriptor = p.name === "net"
      ? { name: "net", host: p.value }
      : { name: "run", command: p.value };
    const { state } = await Deno.permissions.query(desc);
    if (state === "granted") continue;
    missing.push(
      p.name === "net"
        ? `${p.why}: network access to ${p.value} is not granted: add it to --allow-net ` +
          `(the tasks and the systemd unit: EARSHOT_ALLOW_NET, see README "Permissions")`
        : `${p.why}: running ${p.value} is not granted: add it to --allow-run`,
    );
  }
  if (missing.length) throw new ConfigError(missing.join("\n"));
}

/** Open the configured audio source. */
export function openSource(config: Config, report: SourceReporter, signal: AbortSignal) {
  const a = config.audio;
  switch (a.source) {
    case "wav":
      if (!a.input) {
        throw new SourceError("no input: give --input FILE (or audio.input in the config)");
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
        stallMs: a.stallMs,
        report,
        signal,
      });
  }
}

/**
 * Run the assistant on the configured source until the source ends or `signal`
 * aborts. Events go to `bus` (sinks subscribe before calling). Returns the
 * pipeline for its figures.
 */
export async function runAssistant(
  config: Config,
  bus: EventBus,
  options: AssistantOptions,
  signal: AbortSignal,
): Promise<Pipeline> {
  await checkPermissions(config, options);
  const status = new StatusCollector(bus);
  const outstanding = trackConfirmations(bus);
  const vad = await SileroModel.load(config.vad.model);
  const voice = await startVoice(config, options.warn);
  const remote = await RemoteControl.open(bus, {
    sensitivity: config.wake.sensitivity,
    stateFile: options.remoteState === false ? "" : config.remote.stateFile,
    warn: options.warn,
  });
  let offRemote = () => {};
  let devices: DeviceRuntime | undefined;
  let api: RunningApi | undefined;
  let simulator: Simulator | undefined;
  let offGrammar = () => {};
  let pipeline: Pipeline | undefined;
  try {
    if (options.devices) {
      ({ devices, simulator } = await startDeviceSide(config, bus, options, remote, voice));
    }
    const grammar = devices?.grammar();
    const stages = await createStages(config, bus, { grammar, warn: options.warn });
    pipeline = await Pipeline.create(config, bus, { stages, vad });
    offRemote = wireRemote(remote, pipeline, config);
    // The satellite must not wake on its own voice (uploads have their own stages: not muted).
    if (voice) muteWhilePlaying(stages, voice.player);
    if (devices) {
      offGrammar = swapRecognizerOnGrammarChange(devices, stages, config, bus, {
        seconds: () => pipeline?.seconds ?? 0,
        warn: options.warn,
      });
    }
    if (options.api && config.api.enabled) {
      api = await startApi(
        config,
        assistantApiServices({
          config,
          bus,
          status,
          vad,
          stages,
          pipeline,
          remote,
          devices,
          voice,
        }),
      );
    }
    options.onReady?.({
      apiUrl: api?.url,
      tokenSource: api ? (api.token.file ?? api.token.source) : undefined,
      brokerUrl: devices?.brokerUrl,
    });
    const report: SourceReporter = (e) =>
      bus.emit({ type: "source", t: streamTime(pipeline!.frontEnd.stats.samples), ...e });
    for await (const chunk of openSource(config, report, signal)) {
      await pipeline.push(chunk);
      if (signal.aborted) break;
    }
    await pipeline.end();
    if (!signal.aborted) await letLastCommandFinish(config, outstanding, devices, voice);
    return pipeline;
  } finally {
    offRemote();
    await remote.flush();
    offGrammar();
    outstanding.stop();
    await pipeline?.close();
    await api?.close();
    await simulator?.close();
    await devices?.close();
  }
}

/**
 * Start the devices runtime (intents -> MQTT) with spoken answers and the remote control, wait
 * up to 5 s for it, and (the demo) the simulated example devices on its broker.
 */
async function startDeviceSide(
  config: Config,
  bus: EventBus,
  options: AssistantOptions,
  remote: RemoteControl,
  voice: RunningVoice | null,
): Promise<{ devices: DeviceRuntime; simulator?: Simulator }> {
  const devices = await startDevices(config, bus, {
    warn: options.warn,
    remote,
    voice: voice?.voice,
    maxChars: config.answers.maxChars,
  });
  await devices.ready(5000);
  const simulator = options.simulateDevices ? await Simulator.start(devices.brokerUrl) : undefined;
  return { devices, simulator };
}

/**
 * Imported devices change the grammar: a new recognizer takes over between utterances (in the
 * pipeline's {@link RecognizerSlot}; none, nothing to do). A failed rebuild is an `error` event
 * of stage "asr" at the pipeline's `seconds()`. Returns the release.
 */
function swapRecognizerOnGrammarChange(
  devices: DeviceRuntime,
  stages: FrameStage[],
  config: Config,
  bus: EventBus,
  opts: { seconds: () => number; warn?: (message: string) => void },
): () => void {
  const slot = stages.find((s): s is RecognizerSlot => s instanceof RecognizerSlot);
  if (!slot) return () => {};
  return devices.onGrammarChange((g) => {
    slot.replace(() => buildRecognizer(config, g, opts.warn)).catch((err) =>
      bus.emit({
        type: "error",
        t: opts.seconds(),
        stage: "asr",
        message: `cannot rebuild the recognizer for the new grammar: ${(err as Error).message}`,
      })
    );
  });
}

/**
 * After the source ended (not after a stop signal: shutdown must be quick; the MQTT link still
 * flushes what it already sent and publishes "offline"): let commands from the last utterance
 * reach the devices and their confirmations arrive, and the last reply be heard to its end.
 */
async function letLastCommandFinish(
  config: Config,
  outstanding: ReturnType<typeof trackConfirmations>,
  devices: DeviceRuntime | undefined,
  voice: RunningVoice | null,
): Promise<void> {
  if (devices) {
    await outstanding.settled(
      config.mqtt.arbitrationMs + 1000,
      Math.max(config.devices.confirmTimeoutMs, config.devices.coverConfirmTimeoutMs) + 1000,
    );
  }
  if (voice) await voice.player.idle();
}

/**
 * The remote control's hold on the live pipeline: its wake detector follows mute and
 * sensitivity, and listening without the wake word opens the recognizer at the pipeline's
 * sample (only with a recognizer that listens after a wake). Returns the release.
 */
export function wireRemote(remote: RemoteControl, pipeline: Pipeline, config: Config): () => void {
  const detector = pipeline.stages.find((s): s is WakeDetector => s instanceof WakeDetector);
  const apply = () => {
    if (!detector) return;
    detector.muted = remote.muted;
    detector.sensitivity = remote.sensitivity;
  };
  apply();
  const off = remote.onChange(apply);
  if (config.asr.enabled && config.asr.trigger === "wake") {
    remote.attach({
      sample: () => pipeline.frontEnd.stats.samples,
      suppressed: () => detector?.stats.muted ?? 0,
      thresholds: () => detector?.thresholds ?? {},
    });
  }
  return () => {
    off();
    remote.attach(undefined);
  };
}

/**
 * Counts accepted transcripts that have not yet become an intent (the devices
 * runtime first waits for the satellites' arbitration) and publishes that
 * still wait for their confirm event, so a file run ends after its last
 * command was carried out and confirmed (or timed out) instead of cutting it off.
 */
export function trackConfirmations(bus: EventBus) {
  let transcripts = 0;
  let publishes = 0;
  const waiter = new Waiter();
  const off = bus.on((e) => {
    if (e.type === "transcript" && !e.rejected) transcripts++;
    else if (e.type === "intent" && e.origin === "asr") transcripts = Math.max(0, transcripts - 1);
    else if (e.type === "publish") publishes++;
    else if (e.type === "confirm") publishes = Math.max(0, publishes - 1);
    waiter.recheck();
  });
  return {
    get pending() {
      return transcripts + publishes;
    },
    /**
     * Resolves when every transcript became an intent (or `intentMs` passed: it
     * may not parse) and every publish was confirmed (or `confirmMs` passed).
     */
    async settled(intentMs: number, confirmMs: number): Promise<void> {
      await waiter.until(() => transcripts === 0, intentMs);
      await waiter.until(() => publishes === 0, confirmMs);
    },
    stop: off,
  };
}
