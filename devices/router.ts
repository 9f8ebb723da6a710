/**
 * Intent router: an intent (from typed or spoken text) -> target devices ->
 * adapter messages published with QoS 1 -> `publish` events, then a `confirm`
 * event per device once it reports the new state (or the timeout passes).
 * Also keeps device state from the state topics and answers state queries.
 * @module
 */
import type { ConfirmEvent, EarshotEvent, PublishEvent } from "../core/events.ts";
import type { ParsedIntent } from "../intent/parser.ts";
import type { IntentName } from "../intent/templates.ts";
import { adapterFor } from "./adapters/index.ts";
import {
  AdapterError,
  type Command,
  decodeState,
  describeCommand,
  type DeviceState,
  StatePayloadError,
} from "./adapters/types.ts";
import type { Delivery, PublishOptions, PublishResult } from "./mqtt.ts";
import type { Device, Registry } from "../home/registry.ts";
import type { DeviceType, Feature } from "../home/schema.ts";
import { DeviceStates, expectationFor } from "./state.ts";
import { hasKind, placeName, resolveSlots } from "../intent/resolve.ts";

/** The part of the MQTT link the router needs. */
export interface Publisher {
  publish(topic: string, payload: string, opts?: PublishOptions): PublishResult;
  subscribe(filter: string, handler: (topic: string, payload: string) => void): () => void;
}

/** One device command the router carried out (or tried to). */
export interface RoutedAction {
  device: string;
  command: string;
  topics: string[];
  queued: boolean;
  /** Queued: the last message's 1-based place in the offline queue and its expiry (wall ms). */
  queuePosition?: number;
  expiresAt?: number;
  error?: string;
}

/** Result of routing one intent. */
export interface RouteResult {
  intent: string;
  actions: RoutedAction[];
  /** Problems that stopped some or all of the intent ("no lights in the garage"). */
  errors: string[];
  /** Spoken-style answer for queries and cancel. */
  answer?: string;
  /** Resolves with the confirm events once every device confirmed or timed out. */
  confirmations: Promise<ConfirmEvent[]>;
}

/** Router options. */
export interface RouterOptions {
  confirmTimeoutMs: number;
  /** Covers move slowly; their confirmation waits longer. */
  coverConfirmTimeoutMs?: number;
  /** Percentage points of "dim the light" / "turn the lights up" without an amount (config
   * `devices.brightnessStep`). */
  brightnessStep: number;
  emit: (e: EarshotEvent) => void;
  now?: () => number;
}

const DOMAIN_TYPES: Record<string, DeviceType[]> = {
  light: ["light"],
  switch: ["switch"],
  plug: ["plug"],
  fan: ["fan"],
  cover: ["cover"],
  thermostat: ["thermostat"],
};

const PLURAL: Record<string, string> = {
  light: "lights",
  switch: "switches",
  plug: "plugs",
  fan: "fans",
  cover: "blinds",
  thermostat: "thermostats",
};

/** Intents that act on a device, each with its command and the feature it needs. */
type ActingIntent = Exclude<IntentName, "Cancel" | "QueryState">;

/**
 * The command of every acting intent: a typed record, so a new name in intent/templates.ts
 * `INTENTS` does not compile until it has its action here.
 */
const ACTIONS: Record<ActingIntent, (value: number) => { cmd: Command; feature: Feature }> = {
  TurnOn: () => ({ cmd: { kind: "on" }, feature: "onoff" }),
  TurnOff: () => ({ cmd: { kind: "off" }, feature: "onoff" }),
  Toggle: () => ({ cmd: { kind: "toggle" }, feature: "onoff" }),
  SetBrightness: (v) => ({ cmd: { kind: "brightness", value: v }, feature: "brightness" }),
  // A placeholder value: each device's new level comes from its own state (#stepped).
  StepBrightness: () => ({ cmd: { kind: "brightness", value: 0 }, feature: "brightness" }),
  SetColorTemp: (v) => ({ cmd: { kind: "colorTemp", value: v }, feature: "colorTemp" }),
  SetTemperature: (v) => ({ cmd: { kind: "temperature", value: v }, feature: "temperature" }),
  OpenCover: () => ({ cmd: { kind: "open" }, feature: "position" }),
  CloseCover: () => ({ cmd: { kind: "close" }, feature: "position" }),
  SetCoverPosition: (v) => ({ cmd: { kind: "position", value: v }, feature: "position" }),
  StopDevice: () => ({ cmd: { kind: "stop" }, feature: "position" }),
  SetFanSpeed: (v) => ({ cmd: { kind: "speed", value: v }, feature: "speed" }),
  ActivateScene: () => ({ cmd: { kind: "activate" }, feature: "activate" }),
};

function commandFor(intent: ParsedIntent): { cmd: Command; feature: Feature } | null {
  // Names from a registry's own templates that are not built in have no action.
  if (!Object.hasOwn(ACTIONS, intent.name)) return null;
  return ACTIONS[intent.name as ActingIntent](Number(intent.slots.value));
}

/** One call of Router.route, as its handlers see it. */
interface RouteContext {
  intent: ParsedIntent;
  result: RouteResult;
  t: number;
  session: string | undefined;
}

/** Routes intents to devices and tracks their state. */
export class Router {
  readonly states = new DeviceStates();
  #unsubs = new Map<string, () => void>();
  /** State topic -> devices reporting on it (built by watchStates). */
  #byTopic = new Map<string, Device[]>();
  #now: () => number;
  #pendingTimers = new Set<ReturnType<typeof setTimeout>>();
  /** Stream time of the latest event, for events caused by broker traffic. */
  streamTime = 0;

  constructor(readonly registry: Registry, readonly link: Publisher, readonly opts: RouterOptions) {
    this.#now = opts.now ?? Date.now;
  }

  /** Subscribe to every device's state topics (again after registry changes). */
  watchStates(): void {
    const wanted = new Map<string, Device[]>();
    for (const d of this.registry.devices) {
      for (const t of adapterFor(d).stateTopics(d)) {
        if (!wanted.has(t)) wanted.set(t, []);
        wanted.get(t)!.push(d);
      }
    }
    this.#byTopic = wanted;
    for (const [t, unsub] of this.#unsubs) {
      if (!wanted.has(t)) {
        unsub();
        this.#unsubs.delete(t);
      }
    }
    for (const t of wanted.keys()) {
      if (this.#unsubs.has(t)) continue;
      this.#unsubs.set(
        t,
        this.link.subscribe(t, (topic, payload) => this.onStateMessage(topic, payload)),
      );
    }
  }

  /** Ask every device to report its state (adapters that support it). */
  refreshAll(): void {
    for (const d of this.registry.devices) {
      for (const m of adapterFor(d).refresh(d)) {
        this.link.publish(m.topic, m.payload, { qos: 1, queue: false });
      }
    }
  }

  /** Feed one state message (exposed for tests); malformed payloads become `error` events. */
  onStateMessage(topic: string, payload: string): void {
    for (const d of this.#byTopic.get(topic) ?? []) {
      const adapter = adapterFor(d);
      try {
        const s = decodeState(adapter, d, topic, payload, this.states.get(d.id));
        if (s && Object.keys(s).length) this.states.update(d.id, s, this.#now());
      } catch (err) {
        const msg = err instanceof StatePayloadError
          ? err.message
          : `${topic}: ${(err as Error).message}`;
        this.opts.emit({
          type: "error",
          t: this.streamTime,
          stage: "devices",
          message: `${d.id}: ${msg}`,
        });
      }
    }
  }

  /**
   * Carry out an intent. `t` is the stream time of the utterance (or of the typed text);
   * `session` (the command's correlation id) is set on the publish and confirm events.
   */
  route(parsed: ParsedIntent, t = this.streamTime, session?: string): RouteResult {
    let intent = parsed;
    if (intent.slots.name !== undefined && intent.slots.device === undefined && !intent.problem) {
      // A shared device name not yet resolved (an intent from elsewhere than parseIntent).
      const r = resolveSlots(this.registry, intent.name, intent.slots);
      intent = { ...intent, slots: r.slots, problem: r.problem };
    }
    const result: RouteResult = {
      intent: intent.name,
      actions: [],
      errors: [],
      confirmations: Promise.resolve([]),
    };
    const ctx: RouteContext = { intent, result, t, session };
    if (intent.name === "Cancel") return this.#cancel(ctx);
    if (intent.problem) {
      // Understood, but the words name no single device: say why, act on nothing.
      result.errors.push(intent.problem);
      result.answer = intent.problem;
      return result;
    }
    // Names from a registry's own templates that are not built in have no handler.
    if (!Object.hasOwn(this.#dispatch, intent.name)) {
      result.errors.push(`intent "${intent.name}" has no device action`);
      return result;
    }
    return this.#dispatch[intent.name as IntentName](ctx);
  }

  /**
   * The handler of every intent: a typed record, so a new name in intent/templates.ts
   * `INTENTS` does not compile until it is routed. Acting intents share #act; their
   * per-device command comes from `ACTIONS` and #prepare.
   */
  readonly #dispatch: Record<IntentName, (ctx: RouteContext) => RouteResult> = {
    Cancel: (ctx) => this.#cancel(ctx),
    QueryState: (ctx) => this.#query(ctx),
    ...(Object.fromEntries(
      Object.keys(ACTIONS).map((name) => [name, (ctx: RouteContext) => this.#act(ctx)]),
    ) as Record<ActingIntent, (ctx: RouteContext) => RouteResult>),
  };

  /** "cancel": nothing to do but say so. */
  #cancel({ result }: RouteContext): RouteResult {
    result.answer = "cancelled";
    return result;
  }

  /** "is the kitchen light on?": an answer from the known states, no messages. */
  #query({ intent, result }: RouteContext): RouteResult {
    result.answer = this.#answer(intent, result.errors);
    return result;
  }

  /** An acting intent: each target's command is fitted, published, then confirmed. */
  #act(ctx: RouteContext): RouteResult {
    const { intent, result } = ctx;
    const plan = commandFor(intent)!;
    const confirms: Promise<ConfirmEvent>[] = [];
    for (const d of this.#targets(intent, plan.feature, result.errors)) {
      const cmd = this.#prepare(d, plan.cmd, ctx);
      if (!cmd) continue;
      const confirm = this.#send(d, cmd, ctx);
      if (confirm) confirms.push(confirm);
    }
    result.confirmations = Promise.all(confirms).then((events) => {
      for (const e of events) this.opts.emit(e);
      return events;
    });
    return result;
  }

  /** A device the command cannot go to: the reason, and an action that sent nothing. */
  #refuse({ result }: RouteContext, d: Device, command: string, error: string): null {
    result.errors.push(error);
    result.actions.push({ device: d.id, command, topics: [], queued: false, error });
    return null;
  }

  /**
   * The command for one device: clamped into its range, a toggle the adapter cannot do
   * turned into on/off from the known state, a brightness step made absolute; null (and
   * a refused action) when the device's state does not allow it.
   */
  #prepare(d: Device, planned: Command, ctx: RouteContext): Command | null {
    const { intent, result } = ctx;
    let cmd = this.#fit(d, planned, result.errors);
    if (cmd.kind === "toggle" && !adapterFor(d).canToggle(d)) {
      const on = this.states.get(d.id).on;
      if (on === undefined) {
        return this.#refuse(ctx, d, "toggle", `${d.id}: cannot toggle: its state is unknown`);
      }
      cmd = { kind: on ? "off" : "on" };
    }
    if (intent.name === "StepBrightness") {
      const stepped = this.#stepped(d, intent.slots);
      if ("error" in stepped) {
        const command = `brightness ${intent.slots.direction === "down" ? "down" : "up"}`;
        return this.#refuse(ctx, d, command, stepped.error);
      }
      cmd = stepped;
    }
    return cmd;
  }

  /**
   * Publish one device's messages (QoS 1, a `publish` event each), record the action,
   * and return its confirmation; null (and a refused action) when the adapter cannot
   * encode the command.
   */
  #send(d: Device, cmd: Command, ctx: RouteContext): Promise<ConfirmEvent> | null {
    const { result, t, session } = ctx;
    const adapter = adapterFor(d);
    let messages;
    try {
      messages = adapter.encode(d, cmd);
    } catch (err) {
      if (!(err instanceof AdapterError)) throw err;
      return this.#refuse(ctx, d, describeCommand(cmd), err.message);
    }
    const expect = expectationFor(cmd, this.states.get(d.id));
    const hasState = adapter.stateTopics(d).length > 0;
    const waiter = expect && hasState ? this.states.expect(d.id, expect) : null;
    const started = this.#now();
    let pending = messages.length;
    let failure: string | undefined;
    let resolveSent!: () => void;
    const sent = new Promise<void>((r) => (resolveSent = r));
    const action: RoutedAction = {
      device: d.id,
      command: describeCommand(cmd),
      topics: [],
      queued: false,
    };
    for (const m of messages) {
      const onDone = (del: Delivery) => {
        if (del.status === "dropped") failure ??= del.reason;
        if (--pending === 0) resolveSent();
      };
      const { queued, position, expiresAt } = this.link.publish(m.topic, m.payload, {
        qos: 1,
        retain: m.retain,
        onDone,
      });
      action.topics.push(m.topic);
      action.queued ||= queued;
      if (position !== undefined) action.queuePosition = position;
      if (expiresAt !== undefined) action.expiresAt = expiresAt;
      const ev: PublishEvent = {
        type: "publish",
        t,
        device: d.id,
        topic: m.topic,
        payload: m.payload,
        qos: 1,
        queued,
      };
      if (session !== undefined) ev.session = session;
      this.opts.emit(ev);
    }
    result.actions.push(action);
    return this.#confirm(d, cmd, t, session, started, sent, () => failure, waiter, expect !== null);
  }

  async #confirm(
    d: Device,
    cmd: Command,
    t: number,
    session: string | undefined,
    started: number,
    sent: Promise<void>,
    failure: () => string | undefined,
    waiter: { promise: Promise<DeviceState>; cancel: () => void } | null,
    observable: boolean,
  ): Promise<ConfirmEvent> {
    const base = {
      type: "confirm" as const,
      t,
      device: d.id,
      ...(session !== undefined ? { session } : {}),
    };
    await sent;
    const why = failure();
    if (why) {
      waiter?.cancel();
      return { ...base, confirmed: false, latencyMs: this.#now() - started, reason: why };
    }
    if (!waiter) {
      return {
        ...base,
        confirmed: false,
        latencyMs: this.#now() - started,
        reason: !observable ? `${cmd.kind} has no observable state` : "device has no state topic",
      };
    }
    const timeout =
      d.type === "cover" && (cmd.kind === "open" || cmd.kind === "close" || cmd.kind === "position")
        ? this.opts.coverConfirmTimeoutMs ?? this.opts.confirmTimeoutMs
        : this.opts.confirmTimeoutMs;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<null>((r) => {
      timer = setTimeout(() => r(null), timeout);
      this.#pendingTimers.add(timer);
    });
    const state = await Promise.race([waiter.promise, timedOut]);
    clearTimeout(timer);
    this.#pendingTimers.delete(timer!);
    waiter.cancel();
    const latencyMs = this.#now() - started;
    if (!state) {
      return {
        ...base,
        confirmed: false,
        latencyMs,
        reason: `no state report for ${describeCommand(cmd)} within ${timeout} ms${
          this.states.get(d.id).available === false ? " (the device reports it is offline)" : ""
        }`,
        state: { ...this.states.get(d.id) },
      };
    }
    return { ...base, confirmed: true, latencyMs, state: { ...state } };
  }

  /** Clamp values into the device's range; clamping is reported. */
  /**
   * The brightness a relative step ("dim the lamp a bit", "turn the lights up") leads to from
   * the device's known state: `amount` percentage points (default `brightnessStep`) down
   * or up, kept within 1..100. A light that is off counts as 0 (brightening turns it on low;
   * dimming it does nothing); an unknown level is an error, never a guess.
   */
  #stepped(
    d: Device,
    slots: Record<string, string | number>,
  ): { kind: "brightness"; value: number } | { error: string } {
    const down = slots.direction === "down";
    const verb = down ? "dim" : "brighten";
    const amount = slots.amount === undefined ? this.opts.brightnessStep : Number(slots.amount);
    const s = this.states.get(d.id);
    const level = s.on === false ? 0 : s.brightness;
    if (level === undefined) return { error: `${d.id}: cannot ${verb}: its brightness is unknown` };
    if (down && level === 0) return { error: `${d.id}: cannot dim: it is off` };
    const value = Math.min(100, Math.max(1, Math.round(level + (down ? -amount : amount))));
    return { kind: "brightness", value };
  }

  #fit(d: Device, cmd: Command, errors: string[]): Command {
    const clamp = (v: number, [lo, hi]: [number, number], unit: string) => {
      const c = Math.min(hi, Math.max(lo, v));
      if (c !== v) errors.push(`${d.id}: ${v} ${unit} is outside ${lo}..${hi}; using ${c}`);
      return c;
    };
    if (cmd.kind === "colorTemp") {
      return { kind: "colorTemp", value: clamp(cmd.value, d.colorTempRange, "K") };
    }
    if (cmd.kind === "temperature") {
      return { kind: "temperature", value: clamp(cmd.value, d.temperatureRange, "degrees") };
    }
    return cmd;
  }

  #areaName(area: string): string {
    return placeName(this.registry, area);
  }

  #targets(intent: ParsedIntent, feature: Feature, errors: string[]): Device[] {
    return featureTargets(this.registry, intent, feature, errors);
  }

  #answer(intent: ParsedIntent, errors: string[]): string {
    const s = intent.slots;
    const want = s.state === undefined ? undefined : String(s.state);
    if (s.device !== undefined) {
      const d = this.registry.device(String(s.device));
      if (!d) return `I don't know a device called ${s.device}`;
      return describe(d, this.states.get(d.id), want);
    }
    const types = DOMAIN_TYPES[String(s.domain ?? "")];
    if (!types || s.area === undefined) {
      errors.push("which room? no area was said and this satellite has no devices.area");
      return "which room do you mean?";
    }
    const area = String(s.area);
    const devices = groupDevices(
      this.registry,
      String(s.domain),
      area,
      s.kind === undefined ? undefined : String(s.kind),
    );
    if (!devices.length) {
      return `there are no ${PLURAL[String(s.domain)]} in ${this.#areaName(area)}`;
    }
    if (want === "temperature") {
      return devices.map((d) => describe(d, this.states.get(d.id), want)).join("; ");
    }
    const on = devices.filter((d) => this.states.get(d.id).on === true).map((d) => d.name);
    const unknown = devices.filter((d) => this.states.get(d.id).on === undefined).map((d) =>
      d.name
    );
    let text = `${on.length} of ${devices.length} ${PLURAL[String(s.domain)]} in ${
      this.#areaName(area)
    } ${on.length === 1 ? "is" : "are"} on${on.length ? `: ${on.join(", ")}` : ""}`;
    if (unknown.length) text += ` (unknown: ${unknown.join(", ")})`;
    return text;
  }

  /** Cancel pending confirmation timers (shutdown). */
  close(): void {
    for (const t of this.#pendingTimers) clearTimeout(t);
    this.#pendingTimers.clear();
    for (const u of this.#unsubs.values()) u();
    this.#unsubs.clear();
  }
}

/** Devices of a group command: the area's (or floor's, or house's) devices of the domain. */
export function groupDevices(
  registry: Registry,
  domain: string,
  area: string,
  kind?: string,
): Device[] {
  const devices = registry.devicesIn(area, DOMAIN_TYPES[domain]);
  // "the lamps", "the blinds": the devices so called, when there are any ("the garage" door:
  // only doors); else all of the type.
  if (kind !== undefined) {
    const called = devices.filter((d) => hasKind(d, kind));
    if (called.length || kind === "door") return called;
  }
  // "the blinds" never moves a door or a gate (they are covers too).
  return domain === "cover"
    ? devices.filter((d) => ![d.name, ...d.aliases].some((n) => /\b(door|gate)s?\b/.test(n)))
    : devices;
}

function knownArea(registry: Registry, area: string): boolean {
  return area === "*" || !!registry.area(area) || !!registry.floor(area);
}

function featureTargets(
  registry: Registry,
  intent: ParsedIntent,
  feature: Feature | undefined,
  errors: string[],
): Device[] {
  const s = intent.slots;
  const ref = (s.device ?? s.scene) as string | undefined;
  if (ref !== undefined) {
    const d = registry.device(String(ref));
    if (!d) {
      errors.push(`unknown device "${ref}"`);
      return [];
    }
    if (feature && !d.features.includes(feature)) {
      errors.push(`${d.id} cannot do ${intent.name} (no "${feature}" feature)`);
      return [];
    }
    return [d];
  }
  const domain = String(s.domain ?? "");
  const types = DOMAIN_TYPES[domain];
  if (!types) {
    errors.push(`${intent.name}: no device or device type given`);
    return [];
  }
  if (s.area === undefined) {
    errors.push(`which room? no area was said and this satellite has no devices.area`);
    return [];
  }
  const area = String(s.area);
  if (!knownArea(registry, area)) {
    errors.push(`unknown area "${area}"`);
    return [];
  }
  const kind = s.kind === undefined ? undefined : String(s.kind);
  const devices = groupDevices(registry, domain, area, kind).filter((d) =>
    !feature || d.features.includes(feature)
  );
  if (!devices.length) {
    errors.push(
      `no ${kind === "door" ? "doors" : PLURAL[domain] ?? domain} in ${placeName(registry, area)}`,
    );
  }
  return devices;
}

/**
 * The devices an intent acts on (or asks about), and why none when so: the
 * router's own choice, for reports (devices/check.ts) and evaluations.
 */
export function intentTargets(
  registry: Registry,
  intent: ParsedIntent,
): { devices: Device[]; errors: string[] } {
  const errors: string[] = [];
  if (intent.problem) return { devices: [], errors: [intent.problem] };
  if (intent.name === "Cancel") return { devices: [], errors };
  if (intent.name === "QueryState") {
    return { devices: featureTargets(registry, intent, undefined, errors), errors };
  }
  const plan = commandFor(intent);
  if (!plan) return { devices: [], errors: [`intent "${intent.name}" has no device action`] };
  return { devices: featureTargets(registry, intent, plan.feature, errors), errors };
}

/** A short sentence about a device's state. */
export function describe(d: Device, s: DeviceState, want?: string): string {
  if (!Object.keys(s).length) return `I don't know the state of the ${d.name} yet`;
  if (s.available === false) return `the ${d.name} is offline`;
  if (want === "on" || want === "off") {
    if (s.on === undefined) return `I don't know whether the ${d.name} is on`;
    const yes = (want === "on") === s.on;
    return `${yes ? "yes" : "no"}, the ${d.name} is ${s.on ? "on" : "off"}`;
  }
  if (want === "open" || want === "closed") {
    if (s.position === undefined) return `I don't know whether the ${d.name} is open`;
    const open = s.position > 1;
    const yes = (want === "open") === open;
    return `${yes ? "yes" : "no"}, the ${d.name} is ${
      open ? `open (${s.position} percent)` : "closed"
    }`;
  }
  const parts: string[] = [];
  if (s.on !== undefined) parts.push(s.on ? "on" : "off");
  if (s.brightness !== undefined) parts.push(`brightness ${s.brightness} percent`);
  if (s.colorTemp !== undefined) parts.push(`${s.colorTemp} kelvin`);
  if (s.temperature !== undefined) parts.push(`set to ${s.temperature} degrees`);
  if (s.currentTemperature !== undefined) parts.push(`currently ${s.currentTemperature} degrees`);
  if (s.position !== undefined) {
    parts.push(s.position <= 1 ? "closed" : `open ${s.position} percent`);
  }
  if (s.speed !== undefined) parts.push(`speed ${s.speed} percent`);
  if (want === "temperature" && s.temperature === undefined && s.currentTemperature === undefined) {
    return `I don't know the temperature of the ${d.name} yet`;
  }
  return `the ${d.name} is ${parts.join(", ") || "reporting no state"}`;
}
