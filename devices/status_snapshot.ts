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
import type { DevicesStatus } from "./runtime.ts";
import { availabilityOf, describeState } from "./state_text.ts";

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
 * devicesStatus({ siteId: "kitchen", link, embedded: true, listening: false, registry, router })
 *   .grammar.sentences; // e.g. 1234
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
