/**
 * The devices part of the status API: site, MQTT link, listening, every device with its
 * tracked state (also in words, with its availability and last change), areas, the grammar's size, the last command and arbitration.
 * @module
 */
import { grammarWords } from "../core/grammar.ts";
import { buildCommandGrammar, countSentences } from "../intent/grammar.ts";
import type { Registry } from "../home/registry.ts";
import type { LinkStatus } from "./mqtt.ts";
import type { Router } from "./router.ts";
import type { TrackedState } from "./state.ts";
import { type Availability, availabilityOf, describeState } from "./state_text.ts";

/** Devices status for the status API. */
export interface DevicesStatus {
  siteId: string;
  area?: string;
  mqtt: LinkStatus & { embedded: boolean };
  listening: boolean;
  devices: Array<{
    id: string;
    name: string;
    type: string;
    area?: string;
    /** The area's spoken name ("living room"). */
    areaName?: string;
    source: string;
    adapter: string;
    state: TrackedState;
    /** The state in words ("on, 40%, 2700 K", "closed"; devices/state_text.ts). */
    stateText: string;
    /** From the adapter's availability reports. */
    availability: Availability;
    /** ISO time of the last report that changed the state; absent before the first report. */
    changedAt?: string;
  }>;
  areas: Array<{ id: string; name: string }>;
  grammar: { states: number; words: number; sentences: number };
  lastCommand?: { text: string; intent: string | null; at: string; errors: string[] };
  lastArbitration?: { sessionId: string; won: boolean; winner: string; claims: number; at: string };
}

/** What the snapshot is read from. */
export interface StatusSources {
  siteId: string;
  area?: string;
  link: { status(): LinkStatus };
  embedded: boolean;
  listening: boolean;
  registry: Registry;
  router: Pick<Router, "states">;
  lastCommand?: DevicesStatus["lastCommand"];
  lastArbitration?: DevicesStatus["lastArbitration"];
}

/**
 * One status snapshot (the grammar is rebuilt to count it).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EventBus } from "../core/bus.ts";
 * import type { EarshotEvent } from "../core/events.ts";
 * import { loadRegistry } from "../home/registry.ts";
 * import { siteTopics } from "./announce.ts";
 * import { startEmbeddedBroker } from "./broker.ts";
 * import { MqttLink } from "./mqtt.ts";
 * import { Router } from "./router.ts";
 * import { Site } from "./site.ts";
 * const broker = await startEmbeddedBroker("127.0.0.1", 0);
 * const link = await MqttLink.connect({ url: broker.url });
 * await link.waitConnected();
 * const site = new Site(new EventBus(), "kitchen", siteTopics("earshot", "kitchen"), false);
 * site.attach(link);
 * const registry = await loadRegistry("devices/example.devices.json");
 * const emit = (e: EarshotEvent) => site.emit(e);
 * const router = new Router(registry, link, { confirmTimeoutMs: 50, brightnessStep: 25, emit });
 * const s = devicesStatus({
 *   siteId: "kitchen",
 *   link,
 *   embedded: true,
 *   listening: false,
 *   registry,
 *   router,
 * });
 * assert.equal(s.mqtt.state, "connected");
 * assert.ok(s.devices.some((d) => d.id === "kitchen_light") && s.grammar.sentences > 0);
 * router.close();
 * await link.close();
 * await broker.close();
 * ```
 */
export function devicesStatus(src: StatusSources): DevicesStatus {
  const g = buildCommandGrammar(src.registry);
  const states = src.router.states.snapshot();
  const areaNames = new Map(src.registry.areas.map((a) => [a.id, a.name]));
  return {
    siteId: src.siteId,
    area: src.area,
    mqtt: { ...src.link.status(), embedded: src.embedded },
    listening: src.listening,
    devices: src.registry.devices.map((d) => {
      const state = states[d.id] ?? {};
      return {
        id: d.id,
        name: d.name,
        type: d.type,
        area: d.area,
        areaName: d.area === undefined ? undefined : areaNames.get(d.area) ?? d.area,
        source: d.source,
        adapter: d.adapter.type,
        state,
        stateText: describeState(d.type, state),
        availability: availabilityOf(state),
        changedAt: state.changedAt,
      };
    }),
    areas: src.registry.areas.map((a) => ({ id: a.id, name: a.name })),
    grammar: { states: g.arcs.length, words: grammarWords(g).size, sentences: countSentences(g) },
    lastCommand: src.lastCommand,
    lastArbitration: src.lastArbitration,
  };
}
