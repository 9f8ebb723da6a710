/**
 * The SSE hub: bounded per-client queues (levels dropped first, hopeless
 * clients disconnected), keep-alive comments only while clients listen,
 * replay, and a clean shutdown.
 */
import assert from "node:assert/strict";
import { EventBus } from "../../core/bus.ts";
import type { EarshotEvent } from "../../core/events.ts";
import { formatSse, SseHub, TooManyClientsError } from "../../api/sse.ts";
import { jsonLines } from "../../app/jsonl.ts";
import { SseReader, utteranceEvents } from "./helpers.ts";

const level = (t: number): EarshotEvent => ({ type: "level", t, db: -30, vad: 0, wake: {} });
const vad = (t: number): EarshotEvent => ({
  type: "vad",
  t,
  state: "start",
  sample: Math.round(t * 16000),
  probability: 0.9,
});

Deno.test("formatSse writes one id and one data line per event", () => {
  assert.equal(
    formatSse(7, vad(1)),
    'id: 7\ndata: {"type":"vad","t":1,"state":"start","sample":16000,"probability":0.9}\n\n',
  );
});

Deno.test("a slow client loses level events first, then is told and disconnected", async () => {
  const bus = new EventBus();
  const hub = new SseHub(bus, { clientQueue: 4, clientQueueMax: 8 });
  let dropped = 0;
  hub.onDrop = (n) => (dropped += n);
  const reader = new SseReader(hub.subscribe());
  // Nobody reads: the queue holds the greeting plus 3 events, then levels are dropped.
  for (let i = 0; i < 10; i++) bus.emit(level(i));
  assert.equal(dropped, 7);
  assert.equal(hub.clients, 1);
  // Other events still queue up to the hard limit; past it the client is cut off.
  for (let i = 0; i < 4; i++) bus.emit(vad(i));
  assert.equal(hub.clients, 1);
  bus.emit(vad(4));
  assert.equal(hub.clients, 0);
  assert.equal(dropped, 8);
  const got: (EarshotEvent | string)[] = [];
  while (true) {
    const m = await reader.next();
    if (!m) break;
    got.push(m.event ?? (m.data as EarshotEvent));
  }
  assert.deepEqual(got.slice(0, 3).map((e) => (e as EarshotEvent).type), [
    "level",
    "level",
    "level",
  ]);
  assert.equal(got.length, 3 + 4 + 1);
  assert.equal(got.at(-1), "overflow");
  hub.close();
  assert.equal(bus.size, 0);
});

Deno.test("keep-alive comments flow while a client is connected and stop after", async () => {
  const bus = new EventBus();
  const hub = new SseHub(bus, { keepAliveMs: 10 });
  const reader = new SseReader(hub.subscribe());
  assert.match((await reader.nextBlock())!, /: connected$/);
  assert.equal(await reader.nextBlock(), ": keep-alive");
  assert.equal(await reader.nextBlock(), ": keep-alive");
  await reader.cancel();
  assert.equal(hub.clients, 0);
  hub.close(); // the sanitizer fails the test if the interval were still running
});

Deno.test("replay: newest N, after an id, and everything for an id from a previous run", async () => {
  const bus = new EventBus();
  const hub = new SseHub(bus, { replayBuffer: 3 });
  for (let i = 0; i < 5; i++) bus.emit(vad(i)); // ids 1..5, buffer holds 3..5
  bus.emit(level(9)); // id 6, never replayed
  const ids = async (stream: ReadableStream<Uint8Array>, n: number) => {
    const r = new SseReader(stream);
    const out = [];
    for (let i = 0; i < n; i++) out.push((await r.next())!.id);
    await r.cancel();
    return out;
  };
  assert.deepEqual(await ids(hub.subscribe({ replay: 2 }), 2), [4, 5]);
  assert.deepEqual(await ids(hub.subscribe({ lastEventId: 3 }), 2), [4, 5]);
  assert.deepEqual(await ids(hub.subscribe({ lastEventId: 999 }), 3), [3, 4, 5]);
  const live = new SseReader(hub.subscribe({ lastEventId: 5 }));
  bus.emit(vad(7));
  assert.equal((await live.next())!.id, 7);
  await live.cancel();
  hub.close();
});

Deno.test("close ends every stream and refuses new clients", async () => {
  const bus = new EventBus();
  const hub = new SseHub(bus, { maxClients: 2 });
  const a = new SseReader(hub.subscribe());
  const b = new SseReader(hub.subscribe());
  assert.throws(() => hub.subscribe(), TooManyClientsError);
  hub.close();
  assert.equal(await a.next(), null);
  assert.equal(await b.next(), null);
  assert.throws(() => hub.subscribe(), /shutting down/);
  assert.equal(bus.size, 0);
});

Deno.test("SSE data lines are exactly the CLI's JSON lines", async () => {
  const bus = new EventBus();
  const hub = new SseHub(bus);
  const lines: string[] = [];
  bus.on(jsonLines({ exclude: [], write: (l) => lines.push(l) }));
  const reader = hub.subscribe().getReader();
  const events = utteranceEvents();
  for (const e of events) bus.emit(e);
  hub.close();
  let text = "";
  const decoder = new TextDecoder();
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  const data = text.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6));
  assert.equal(lines.length, events.length);
  assert.deepEqual(data, lines);
});
