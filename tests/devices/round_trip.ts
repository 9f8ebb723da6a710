/**
 * A spoken-style command through the router to a peer on a real broker and back: the command
 * must publish exactly `payload` on `topic`, and the peer's `reply` on `replyTopic` must confirm
 * it. Shared by the ecosystem tests.
 */
import assert from "node:assert/strict";
import type { Router } from "../../devices/router.ts";
import type { Registry } from "../../home/registry.ts";
import { parseIntent } from "../../intent/index.ts";
import type { Watcher } from "./mosquitto.ts";

/** [command text, topic earshot publishes, its payload, the peer's reply topic, reply]. */
export type RoundTrip = [string, string, string, string, string];

/** Run every case in turn; an assertion names the command that failed. */
export async function commandRoundTrips(
  router: Router,
  registry: Registry,
  peer: Watcher,
  cases: RoundTrip[],
): Promise<void> {
  for (const [text, topic, payload, replyTopic, reply] of cases) {
    const intent = parseIntent(text, registry, {});
    assert.ok(intent && !intent.problem, `${text}: ${intent?.problem}`);
    const r = router.route(intent, 1);
    assert.deepEqual(r.errors, [], text);
    const seen = await peer.waitFor(topic, (p) => p === payload, 5000);
    assert.equal(seen.payload, payload, text);
    await peer.publish(replyTopic, reply);
    const confirms = await r.confirmations;
    assert.equal(confirms.length, 1, text);
    assert.equal(confirms[0].confirmed, true, `${text}: ${confirms[0].reason}`);
  }
}
