import assert from "node:assert/strict";
import { OfflineQueue, type QueuedMessage } from "../../devices/queue.ts";

const msg = (topic: string, queuedAt: number): QueuedMessage => ({
  topic,
  payload: "x",
  qos: 1,
  retain: false,
  queuedAt,
});

Deno.test("drain hands out each message once: fresh in order, stale separately", () => {
  const q = new OfflineQueue(1000);
  q.push(msg("a", 0));
  q.push(msg("b", 500));
  q.push(msg("c", 900));
  const { fresh, stale } = q.drain(1400);
  assert.deepEqual(fresh.map((m) => m.topic), ["b", "c"]);
  assert.deepEqual(stale.map((m) => m.topic), ["a"]);
  assert.equal(q.length, 0);
  assert.deepEqual(q.drain(1400), { fresh: [], stale: [] }, "never twice");
});

Deno.test("expire removes only stale messages", () => {
  const q = new OfflineQueue(100);
  q.push(msg("old", 0));
  q.push(msg("new", 150));
  assert.deepEqual(q.expire(200).map((m) => m.topic), ["old"]);
  assert.deepEqual(q.peek().map((m) => m.topic), ["new"]);
  assert.deepEqual(q.expire(200), []);
});

Deno.test("overflow: the oldest messages are reported as stale", () => {
  const q = new OfflineQueue(10_000, 2);
  for (const t of ["a", "b", "c"]) q.push(msg(t, 0));
  assert.equal(q.length, 2);
  assert.deepEqual(q.expire(1).map((m) => m.topic), ["a"]);
  assert.deepEqual(q.drain(1).fresh.map((m) => m.topic), ["b", "c"]);
});

Deno.test("bad queue settings are refused", () => {
  assert.throws(() => new OfflineQueue(-1), /expiry must be >= 0/);
  assert.throws(() => new OfflineQueue(NaN), /expiry/);
  assert.throws(() => new OfflineQueue(10, 0), /size must be >= 1/);
});
