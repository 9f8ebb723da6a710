/**
 * Prometheus metrics: a metrics collector that subscribes to the event bus
 * (counters per event, latency histograms, processed audio) plus what the API
 * itself observes (HTTP requests, upload real-time factor, SSE clients), and a
 * renderer for the Prometheus text exposition format 0.0.4.
 * @module
 */
import type { EventBus } from "../core/bus.ts";
import type { EarshotEvent } from "../core/events.ts";

/** Content type of the text exposition format. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

type Labels = Record<string, string>;

function escapeLabel(value: string): string {
  return value.replaceAll("\\", "\\\\").replaceAll("\n", "\\n").replaceAll('"', '\\"');
}

function labelText(labels: Labels): string {
  const keys = Object.keys(labels);
  if (!keys.length) return "";
  return "{" + keys.map((k) => `${k}="${escapeLabel(labels[k])}"`).join(",") + "}";
}

function num(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

function escapeHelp(text: string): string {
  return text.replaceAll("\\", "\\\\").replaceAll("\n", "\\n");
}

/** A counter family with labels. */
export class Counter {
  #values = new Map<string, { labels: Labels; value: number }>();
  constructor(readonly name: string, readonly help: string) {}

  /** Add `by` (default 1) to the series with these labels. */
  inc(labels: Labels = {}, by = 1): void {
    const keys = Object.keys(labels);
    // One-label series (the common case) skip building the exposition text.
    const key = keys.length === 1 ? `${keys[0]}\u0000${labels[keys[0]]}` : labelText(labels);
    const s = this.#values.get(key);
    if (s) s.value += by;
    else this.#values.set(key, { labels, value: by });
  }

  /** Raise the series to `total` (a counter read from elsewhere; never lowered). */
  raiseTo(labels: Labels, total: number): void {
    const now = this.get(labels);
    if (total > now) this.inc(labels, total - now);
  }

  /** Current value of one series (0 when never incremented). */
  get(labels: Labels = {}): number {
    const keys = Object.keys(labels);
    const key = keys.length === 1 ? `${keys[0]}\u0000${labels[keys[0]]}` : labelText(labels);
    return this.#values.get(key)?.value ?? 0;
  }

  /** Exposition text. */
  render(): string {
    let out = `# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} counter\n`;
    for (const { labels, value } of this.#values.values()) {
      out += `${this.name}${labelText(labels)} ${num(value)}\n`;
    }
    return out;
  }
}

/** A histogram family with fixed buckets (upper bounds, seconds or other units). */
export class Histogram {
  #series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  constructor(readonly name: string, readonly help: string, readonly buckets: number[]) {
    if (buckets.some((b, i) => i > 0 && b <= buckets[i - 1])) {
      throw new Error(`${name}: buckets must increase`);
    }
  }

  /** Record one observation. Non-finite values are ignored. */
  observe(value: number, labels: Labels = {}): void {
    if (!Number.isFinite(value)) return;
    const key = labelText(labels);
    let s = this.#series.get(key);
    if (!s) {
      s = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.#series.set(key, s);
    }
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]) s.counts[i]++;
    s.sum += value;
    s.count++;
  }

  /** Number of observations of one series. */
  count(labels: Labels = {}): number {
    return this.#series.get(labelText(labels))?.count ?? 0;
  }

  /** Exposition text (cumulative buckets, +Inf, _sum, _count). */
  render(): string {
    let out = `# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} histogram\n`;
    for (const { labels, counts, sum, count } of this.#series.values()) {
      this.buckets.forEach((b, i) => {
        out += `${this.name}_bucket${labelText({ ...labels, le: num(b) })} ${counts[i]}\n`;
      });
      out += `${this.name}_bucket${labelText({ ...labels, le: "+Inf" })} ${count}\n`;
      out += `${this.name}_sum${labelText(labels)} ${num(sum)}\n`;
      out += `${this.name}_count${labelText(labels)} ${count}\n`;
    }
    return out;
  }
}

/** Render one gauge family. */
function gauge(name: string, help: string, series: [Labels, number][]): string {
  let out = `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} gauge\n`;
  for (const [labels, value] of series) out += `${name}${labelText(labels)} ${num(value)}\n`;
  return out;
}

/** Latency buckets in seconds, 1 ms .. 30 s. */
export const LATENCY_BUCKETS = [
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
];

/** Gauges read at scrape time from the wiring (all optional). */
export interface MetricsGauges {
  /** Live real-time factor of the pipeline (compute seconds per audio second). */
  realTimeFactor?: () => number | undefined;
  /** Number of connected SSE clients. */
  sseClients?: () => number;
  /** Seconds of audio the live pipeline has taken in (its own sample counter / 16000). */
  liveAudioSeconds?: () => number;
  /** MQTT connected (1) or not (0). */
  mqttConnected?: () => boolean | undefined;
  /** Commands waiting in the MQTT offline queue. */
  mqttQueued?: () => number | undefined;
  /** Commands given up (expired in the offline queue, lost in flight). */
  mqttDropped?: () => number | undefined;
}

/** Collects metrics from the bus and the API; {@link render} gives the exposition text. */
export class MetricsCollector {
  readonly events = new Counter("earshot_events_total", "Events emitted, by type.");
  readonly wakes = new Counter("earshot_wake_total", "Wake word detections, by model.");
  readonly transcripts = new Counter(
    "earshot_transcripts_total",
    "Decoded command sentences, by result (accepted or rejected).",
  );
  readonly intents = new Counter(
    "earshot_intents_total",
    "Recognized intents, by name and origin.",
  );
  readonly publishes = new Counter(
    "earshot_publish_total",
    "Device commands published, by device and whether they were queued offline.",
  );
  readonly confirms = new Counter(
    "earshot_confirm_total",
    "Device state confirmations, by device and result (confirmed or failed).",
  );
  readonly errors = new Counter("earshot_errors_total", "Stage errors, by stage.");
  readonly audioSeconds = new Counter(
    "earshot_audio_seconds_total",
    "Seconds of audio processed: the live source's samples plus uploaded files.",
  );
  readonly httpRequests = new Counter(
    "earshot_http_requests_total",
    "HTTP requests served, by method, route and status.",
  );
  readonly sseDropped = new Counter(
    "earshot_sse_dropped_events_total",
    "Events not delivered to slow SSE clients (level events first).",
  );
  readonly decode = new Histogram(
    "earshot_asr_decode_seconds",
    "Compute time of one command decode (wall clock).",
    LATENCY_BUCKETS,
  );
  readonly endpointDelay = new Histogram(
    "earshot_endpoint_delay_seconds",
    "From the end of speech to the transcript (stream time).",
    LATENCY_BUCKETS,
  );
  readonly wakeToIntent = new Histogram(
    "earshot_wake_to_intent_seconds",
    "From the wake word to the recognized intent (stream time).",
    LATENCY_BUCKETS,
  );
  readonly intentToPublish = new Histogram(
    "earshot_intent_to_publish_seconds",
    "From the intent to the MQTT publish (wall clock).",
    LATENCY_BUCKETS,
  );
  readonly confirmLatency = new Histogram(
    "earshot_confirm_latency_seconds",
    "From publish to the device reporting its state (wall clock).",
    LATENCY_BUCKETS,
  );
  readonly httpDuration = new Histogram(
    "earshot_http_request_duration_seconds",
    "HTTP request handling time, by route.",
    LATENCY_BUCKETS,
  );
  readonly uploadRtf = new Histogram(
    "earshot_upload_realtime_factor",
    "Real-time factor (processing seconds per audio second) of uploaded WAV files.",
    [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5],
  );

  #off: () => void;
  #gauges: MetricsGauges;
  #startedAt: number;
  #uploadedSeconds = 0;
  #lastWakeT?: number;
  #lastIntentWall?: number;
  #lastUploadRtf?: number;
  #now: () => number;

  /** Subscribe to the bus. `now` gives wall-clock ms (tests inject one). */
  constructor(
    bus: EventBus,
    options: { gauges?: MetricsGauges; now?: () => number; version?: string } = {},
  ) {
    this.#gauges = options.gauges ?? {};
    this.#now = options.now ?? Date.now;
    this.#startedAt = this.#now();
    this.version = options.version ?? "dev";
    this.#off = bus.on((e) => this.observe(e));
  }

  /** Version reported in earshot_build_info. */
  version: string;

  /** Add gauges after construction (e.g. the SSE hub, created later). */
  setGauges(gauges: MetricsGauges): void {
    this.#gauges = { ...this.#gauges, ...gauges };
  }

  /** Record one event. */
  observe(e: EarshotEvent): void {
    this.events.inc({ type: e.type });
    // Audio seconds are not derived from event times (streams interleave, transcripts come
    // before their vad end): the live pipeline's sample counter and each upload's length count.
    switch (e.type) {
      case "wake":
        this.wakes.inc({ model: e.model });
        this.#lastWakeT = e.t;
        break;
      case "transcript":
        this.transcripts.inc({ result: e.rejected ? "rejected" : "accepted" });
        this.decode.observe(e.decodeMs / 1000);
        this.endpointDelay.observe(Math.max(0, e.t - e.end));
        break;
      case "intent":
        this.intents.inc({ name: e.name, origin: e.origin });
        if (e.origin === "asr" && this.#lastWakeT !== undefined && e.t >= this.#lastWakeT) {
          this.wakeToIntent.observe(e.t - this.#lastWakeT);
        }
        this.#lastIntentWall = this.#now();
        break;
      case "publish":
        this.publishes.inc({ device: e.device, queued: String(e.queued) });
        if (this.#lastIntentWall !== undefined) {
          this.intentToPublish.observe((this.#now() - this.#lastIntentWall) / 1000);
        }
        break;
      case "confirm":
        this.confirms.inc({ device: e.device, result: e.confirmed ? "confirmed" : "failed" });
        if (e.confirmed) this.confirmLatency.observe(e.latencyMs / 1000);
        break;
      case "error":
        this.errors.inc({ stage: e.stage });
        break;
    }
  }

  #renderAudioSeconds(): string {
    const live = this.#gauges.liveAudioSeconds?.() ?? 0;
    this.audioSeconds.raiseTo({}, (Number.isFinite(live) ? live : 0) + this.#uploadedSeconds);
    return this.audioSeconds.render();
  }

  /** Record one processed upload: audio duration and processing wall time, seconds. */
  observeUpload(audioSeconds: number, wallSeconds: number): void {
    if (audioSeconds > 0 && Number.isFinite(audioSeconds)) this.#uploadedSeconds += audioSeconds;
    if (audioSeconds > 0) {
      this.#lastUploadRtf = wallSeconds / audioSeconds;
      this.uploadRtf.observe(this.#lastUploadRtf);
    }
  }

  /** Record one HTTP request. */
  observeRequest(method: string, route: string, status: number, seconds: number): void {
    this.httpRequests.inc({ method, route, status: String(status) });
    this.httpDuration.observe(seconds, { route });
  }

  /** The exposition text of every metric. */
  render(): string {
    const mem = Deno.memoryUsage();
    const g = this.#gauges;
    const rtf: [Labels, number][] = [];
    const live = g.realTimeFactor?.();
    if (live !== undefined && Number.isFinite(live)) rtf.push([{ source: "live" }, live]);
    if (this.#lastUploadRtf !== undefined) rtf.push([{ source: "upload" }, this.#lastUploadRtf]);
    const parts = [
      gauge("earshot_build_info", "Version of earshot.", [[{ version: this.version }, 1]]),
      gauge("earshot_uptime_seconds", "Seconds since the API started.", [[
        {},
        (this.#now() - this.#startedAt) / 1000,
      ]]),
      gauge("process_resident_memory_bytes", "Resident set size in bytes.", [[{}, mem.rss]]),
      gauge("earshot_heap_used_bytes", "JavaScript heap in use, bytes.", [[{}, mem.heapUsed]]),
      gauge(
        "earshot_realtime_factor",
        "Processing seconds per audio second (below 1 is faster than real time), " +
          "live pipeline and last upload.",
        rtf,
      ),
      this.events.render(),
      this.wakes.render(),
      this.transcripts.render(),
      this.intents.render(),
      this.publishes.render(),
      this.confirms.render(),
      this.errors.render(),
      this.#renderAudioSeconds(),
      this.decode.render(),
      this.endpointDelay.render(),
      this.wakeToIntent.render(),
      this.intentToPublish.render(),
      this.confirmLatency.render(),
      this.uploadRtf.render(),
      this.httpRequests.render(),
      this.httpDuration.render(),
      this.sseDropped.render(),
    ];
    if (g.sseClients) {
      parts.push(gauge("earshot_sse_clients", "Connected SSE clients.", [[{}, g.sseClients()]]));
    }
    const connected = g.mqttConnected?.();
    if (connected !== undefined) {
      parts.push(gauge("earshot_mqtt_connected", "1 when connected to the MQTT broker.", [[
        {},
        connected ? 1 : 0,
      ]]));
    }
    const queued = g.mqttQueued?.();
    if (queued !== undefined) {
      parts.push(
        gauge("earshot_mqtt_queued", "Commands in the MQTT offline queue.", [[{}, queued]]),
      );
    }
    const dropped = g.mqttDropped?.();
    if (dropped !== undefined) {
      parts.push(
        `# HELP earshot_mqtt_dropped_total Commands given up (expired in the offline queue, ` +
          `lost in flight, earshot stopped).\n# TYPE earshot_mqtt_dropped_total counter\n` +
          `earshot_mqtt_dropped_total ${dropped}\n`,
      );
    }
    return parts.join("");
  }

  /** Stop listening to the bus. */
  close(): void {
    this.#off();
  }
}
