/**
 * Remote control of one satellite: listening for a command without the wake word, muting the
 * wake word and its sensitivity, from Home Assistant, Hermes apps and the HTTP API alike. The
 * state (mute, sensitivity) is kept in a JSON file across restarts; listening emits a `wake`
 * event on the bus at the live pipeline's position, so the command recognizer opens exactly as
 * after a spoken wake word (the pipeline hands every bus `wake` to its stages).
 * @module
 */
import type { EventBus } from "./bus.ts";
import { streamTime, type WakeEvent } from "./events.ts";

/** Where a remote request came from (the `source` of its wake event). */
export type RemoteSource = "hermes" | "homeassistant" | "http";

/** The persisted state. */
export interface RemoteState {
  /** Wake word detection is suppressed. */
  muted: boolean;
  /** Wake sensitivity, 0 (least) to 1 (most). */
  sensitivity: number;
}

/** A request the satellite cannot carry out now, or a value it cannot take. */
export class RemoteError extends Error {
  override name = "RemoteError";
  constructor(readonly code: "muted" | "no_pipeline" | "bad_value", message: string) {
    super(message);
  }
}

/** The live pipeline as the remote control sees it. */
export interface LiveStream {
  /** The stream sample the pipeline has reached. */
  sample(): number;
  /** Wakes the detector heard while muted (and did not emit). */
  suppressed?(): number;
  /** The threshold deciding a wake now, per model id. */
  thresholds?(): Record<string, number>;
}

/** What `/api/status` shows under `remote`. */
export interface RemoteStatus extends RemoteState {
  stateFile: string | null;
  live: boolean;
  suppressedWakes: number;
  thresholds: Record<string, number>;
  listens: Record<RemoteSource, number>;
  refused: number;
  lastChange?: { by: string; at: string };
}

/**
 * Validate a sensitivity value (a number in [0, 1]).
 * @example
 * ```ts
 * checkSensitivity(0.7); // 0.7
 * ```
 */
export function checkSensitivity(value: unknown, what = "sensitivity"): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new RemoteError("bad_value", `${what}: expected a number from 0 to 1`);
  }
  if (value < 0 || value > 1) {
    throw new RemoteError("bad_value", `${what}: ${value} is out of range (0 to 1)`);
  }
  return value;
}

/**
 * Read a state file: the state it holds, or null when it does not exist. Throws a
 * {@link RemoteError} naming the file and field when it cannot be used.
 */
export async function readRemoteState(path: string): Promise<Partial<RemoteState> | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw new RemoteError("bad_value", `${path}: cannot read: ${(err as Error).message}`);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new RemoteError("bad_value", `${path}: not JSON (${(err as Error).message})`);
  }
  if (!v || typeof v !== "object" || Array.isArray(v)) {
    throw new RemoteError("bad_value", `${path}: expected a JSON object`);
  }
  const o = v as Record<string, unknown>;
  const out: Partial<RemoteState> = {};
  if (o.muted !== undefined) {
    if (typeof o.muted !== "boolean") {
      throw new RemoteError("bad_value", `${path}: muted: expected true or false`);
    }
    out.muted = o.muted;
  }
  if (o.sensitivity !== undefined) {
    out.sensitivity = checkSensitivity(o.sensitivity, `${path}: sensitivity`);
  }
  return out;
}

/**
 * The satellite's remote-control state and its one way to listen without the wake word.
 * @example
 * ```ts
 * import { EventBus } from "./bus.ts";
 * const remote = await RemoteControl.open(new EventBus(), { sensitivity: 0.5 });
 * remote.attach({ sample: () => 16000 }); // the live pipeline's position (app/assistant.ts)
 * const muted: boolean[] = [];
 * remote.onChange((s) => muted.push(s.muted));
 * remote.setMuted(true, "homeassistant"); // muted: [true]
 * remote.setMuted(false, "homeassistant");
 * const wake = remote.listen({ source: "http" }); // on the bus: the recognizer listens
 * if (wake.sample !== 16000 || wake.source !== "http") throw new Error("unexpected wake");
 * ```
 */
export class RemoteControl {
  #state: RemoteState;
  /** What the state file holds: a Hermes toggle is not kept (see {@link setMuted}). */
  #kept: RemoteState;
  #listeners = new Set<(state: RemoteState, by: string) => void>();
  #live?: LiveStream;
  #saving: Promise<void> = Promise.resolve();
  #lastChange?: { by: string; at: string };
  readonly listens: Record<RemoteSource, number> = { hermes: 0, homeassistant: 0, http: 0 };
  refused = 0;

  constructor(
    readonly bus: EventBus,
    state: RemoteState,
    readonly opts: { stateFile?: string; warn?: (message: string) => void } = {},
  ) {
    this.#state = { muted: state.muted, sensitivity: checkSensitivity(state.sensitivity) };
    this.#kept = { ...this.#state };
  }

  /**
   * The state of `stateFile` over the configured sensitivity (unmuted by default). A state
   * file that cannot be used is reported to `warn` (file and field named) and ignored; it is
   * rewritten at the next change.
   */
  static async open(
    bus: EventBus,
    opts: { sensitivity: number; stateFile?: string; warn?: (message: string) => void },
  ): Promise<RemoteControl> {
    const state: RemoteState = { muted: false, sensitivity: opts.sensitivity };
    if (opts.stateFile) {
      try {
        Object.assign(state, await readRemoteState(opts.stateFile));
      } catch (err) {
        if (!(err instanceof RemoteError)) throw err;
        (opts.warn ?? console.error)(`remote state ignored: ${err.message}`);
      }
    }
    return new RemoteControl(bus, state, opts);
  }

  get muted(): boolean {
    return this.#state.muted;
  }

  get sensitivity(): number {
    return this.#state.sensitivity;
  }

  get state(): RemoteState {
    return { ...this.#state };
  }

  /** Follow changes (called with the new state and who made it). Returns the unsubscribe. */
  onChange(listener: (state: RemoteState, by: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The live pipeline that {@link listen} opens (undefined: none, listening answers no_pipeline). */
  attach(live: LiveStream | undefined): void {
    this.#live = live;
  }

  /**
   * Mute or unmute the wake word; `by` names who asked ("homeassistant", "http", "hermes").
   * A Hermes toggle is live only and not written to the state file: Rhasspy's dialogue manager
   * turns the hotword off for every session, and a restart in the middle of one must not leave
   * the satellite deaf.
   */
  setMuted(muted: boolean, by: string): void {
    this.#set({ ...this.#state, muted }, by);
  }

  /** Set the sensitivity; throws a {@link RemoteError} for a value outside [0, 1]. */
  setSensitivity(value: number, by: string): void {
    this.#set({ ...this.#state, sensitivity: checkSensitivity(value) }, by);
  }

  #set(next: RemoteState, by: string): void {
    if (next.muted === this.#state.muted && next.sensitivity === this.#state.sensitivity) return;
    this.#state = next;
    this.#lastChange = { by, at: new Date().toISOString() };
    const kept = {
      muted: by === "hermes" ? this.#kept.muted : next.muted,
      sensitivity: next.sensitivity,
    };
    if (kept.muted !== this.#kept.muted || kept.sensitivity !== this.#kept.sensitivity) {
      this.#kept = kept;
      this.#save();
    }
    for (const l of this.#listeners) {
      try {
        l(this.state, by);
      } catch (err) {
        this.opts.warn?.(`remote: a state listener failed: ${(err as Error).message}`);
      }
    }
  }

  #save(): void {
    const path = this.opts.stateFile;
    if (!path) return;
    const text = JSON.stringify(this.#kept) + "\n";
    this.#saving = this.#saving.then(async () => {
      try {
        const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "";
        if (dir) await Deno.mkdir(dir, { recursive: true });
        const tmp = `${path}.tmp`;
        await Deno.writeTextFile(tmp, text);
        await Deno.rename(tmp, path);
      } catch (err) {
        (this.opts.warn ?? console.error)(
          `remote state: cannot write ${path}: ${(err as Error).message}`,
        );
      }
    });
  }

  /** Resolves once every change so far is written to the state file. */
  flush(): Promise<void> {
    return this.#saving;
  }

  /**
   * Listen for a command without the wake word: a `wake` event (`source` set, `score` 1) at the
   * live pipeline's sample. Refused while muted (except for Hermes: Rhasspy's dialogue manager
   * turns the hotword off and then asks the ASR to listen) and without a live pipeline.
   */
  listen(req: { source: RemoteSource; sessionId?: string; wakewordId?: string }): WakeEvent {
    if (this.#state.muted && req.source !== "hermes") {
      this.refused++;
      throw new RemoteError("muted", "the wake word is muted: unmute it first");
    }
    if (!this.#live) {
      this.refused++;
      throw new RemoteError("no_pipeline", "no live audio pipeline is running to listen with");
    }
    const sample = this.#live.sample();
    const e: WakeEvent = {
      type: "wake",
      t: streamTime(sample),
      model: req.wakewordId ?? req.source,
      phrase: "",
      score: 1,
      sample,
      source: req.source,
      session: req.sessionId ?? crypto.randomUUID(),
    };
    this.listens[req.source]++;
    this.bus.emit(e);
    return e;
  }

  /** The status document's `remote` part. */
  status(): RemoteStatus {
    return {
      ...this.#state,
      stateFile: this.opts.stateFile || null,
      live: !!this.#live,
      suppressedWakes: this.#live?.suppressed?.() ?? 0,
      thresholds: this.#live?.thresholds?.() ?? {},
      listens: { ...this.listens },
      refused: this.refused,
      ...(this.#lastChange ? { lastChange: this.#lastChange } : {}),
    };
  }
}
