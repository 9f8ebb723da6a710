/**
 * Issue 13 item 8 and issue 14's shutdown: offline commands with a real
 * Mosquitto. While the broker is down POST /api/command answers 202 "queued"
 * at once; a long reconnect backoff does not let a command expire when the
 * broker is back within its expiry; commands past the expiry are dropped with
 * a confirm event and a count; the queue is saved on shutdown while the broker
 * is down and sent by the next start (expired ones dropped, a bad file named).
 */
import assert from "node:assert/strict";
import { EventBus } from "../../core/bus.ts";
import { parseConfig } from "../../core/config.ts";
import type { ConfirmEvent, EarshotEvent } from "../../core/events.ts";
import { startDevices } from "../../devices/runtime.ts";
import {
  type Delivery,
  loadQueueFile,
  MqttLink,
  parseQueueFile,
  saveQueueFile,
} from "../../devices/mqtt.ts";
import { textRunner } from "../../api/commands.ts";
import { Simulator } from "../../devices/simulator.ts";
import { Mosquitto, until, Watcher } from "./mosquitto.ts";
import { AUTH, makeApp } from "../api/helpers.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const EXAMPLE = new URL("../../devices/example.devices.json", import.meta.url).pathname;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const post = (text: string) => ({
  method: "POST",
  headers: { ...AUTH, "Content-Type": "application/json" },
  body: JSON.stringify({ text }),
});

Deno.test(
  "broker down: POST /api/command answers 202 queued at once; sent when back",
  opts,
  async () => {
    const broker = await Mosquitto.start();
    const dir = await Deno.makeTempDir();
    const bus = new EventBus();
    const events: EarshotEvent[] = [];
    bus.on((e) => events.push(e));
    const config = parseConfig({
      devices: { file: EXAMPLE, confirmTimeoutMs: 3000 },
      mqtt: {
        url: broker.url,
        queueExpiryMs: 20000,
        backoffMinMs: 100,
        backoffMaxMs: 20000,
        queueRetryMs: 200,
        queueFile: `${dir}/queue.json`,
      },
    });
    const rt = await startDevices(config, bus, { warn: () => {} });
    const { app, api } = makeApp({ bus, runText: textRunner(rt, bus) });
    try {
      await rt.connected(5000);
      await broker.kill();
      await until(() => rt.status().mqtt.state !== "connected", 5000, "offline");
      const t0 = performance.now();
      const res = await app.request("/api/command", post("turn on the floor lamp"));
      const ms = performance.now() - t0;
      assert.equal(res.status, 202);
      assert.ok(ms < 2000, `answered in ${ms} ms`);
      const body = await res.json();
      assert.equal(body.status, "queued");
      assert.equal(body.queued.commands, 1);
      assert.equal(body.queued.position, 1);
      assert.ok(body.queued.expiresInMs > 15000 && body.queued.expiresInMs <= 20000);
      assert.ok(Date.parse(body.queued.expiresAt) > Date.now());
      const publish = body.events.find((e: EarshotEvent) => e.type === "publish");
      assert.equal(publish.queued, true);
      assert.equal(rt.status().mqtt.queued, 1);
      // A second command queues behind it.
      const second = await (await app.request("/api/command", post("turn on the desk lamp")))
        .json();
      assert.equal(second.queued.position, 2);

      await broker.resume();
      const sim = await Simulator.start(broker.url);
      try {
        await until(() => rt.status().mqtt.state === "connected", 5000, "reconnected");
        await until(
          () =>
            events.filter((e) => e.type === "confirm" && e.session === body.session).length === 1,
          6000,
          "confirm of the queued command",
        );
        const confirm = events.find((e) =>
          e.type === "confirm" && e.session === body.session
        ) as ConfirmEvent;
        assert.equal(confirm.device, "floor_lamp");
        assert.equal(rt.status().mqtt.dropped, 0);
        assert.equal(rt.status().mqtt.queued, 0);
      } finally {
        sim.client.end(true);
      }
    } finally {
      api.close();
      await rt.close();
      await broker.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test(
  "a long backoff does not let a command expire when the broker is back within the expiry",
  opts,
  async () => {
    const broker = await Mosquitto.start();
    const done: Delivery[] = [];
    const link = await MqttLink.connect({
      url: broker.url,
      queueExpiryMs: 5000,
      backoffMinMs: 100,
      backoffMaxMs: 60000,
      queueRetryMs: 250,
    });
    try {
      await link.waitConnected();
      await broker.kill("SIGTERM");
      // Let the backoff grow: 100, 200, 400, 800, 1600 ms ... the next sleep is over 3 s.
      await sleep(3500);
      assert.ok((link.status().nextRetryMs ?? 0) >= 1600, `backoff ${link.status().nextRetryMs}`);
      // Retained, so a subscriber that comes later still sees whether it reached the broker.
      const r = link.publish("cmd/a", "1", { retain: true, onDone: (d) => done.push(d) });
      assert.equal(r.queued, true);
      assert.ok(link.status().nextRetryMs! <= 250, "a queued command brings the retry forward");
      await sleep(2500); // back 2.5 s before the command's expiry
      await broker.resume();
      await until(() => done.length === 1, 6000, "the command reported");
      assert.equal(done[0].status, "sent", JSON.stringify(done[0]));
      const watcher = await Watcher.connect(broker.url, ["cmd/#"]);
      try {
        await watcher.waitFor("cmd/a", (p) => p === "1", 4000);
      } finally {
        await watcher.close();
      }
    } finally {
      await link.close();
      await broker.stop();
    }
  },
);

Deno.test(
  "a command older than the expiry is dropped with a confirm event and counted",
  opts,
  async () => {
    const broker = await Mosquitto.start();
    const bus = new EventBus();
    const events: EarshotEvent[] = [];
    bus.on((e) => events.push(e));
    const config = parseConfig({
      devices: { file: EXAMPLE, confirmTimeoutMs: 1000 },
      mqtt: { url: broker.url, queueExpiryMs: 1000, backoffMinMs: 100, queueFile: "" },
    });
    const rt = await startDevices(config, bus, { warn: () => {} });
    const watcher = await Watcher.connect(broker.url, ["zigbee2mqtt/#"], "watcher-expiry");
    try {
      await rt.connected(5000);
      await watcher.close();
      await broker.kill();
      await until(() => rt.status().mqtt.state !== "connected", 5000, "offline");
      const r = await rt.handleText("turn on the floor lamp", { sessionId: "s-expired" });
      assert.equal(r.actions[0].queued, true);
      const confirms = await r.confirmations;
      assert.equal(confirms.length, 1);
      assert.equal(confirms[0].confirmed, false);
      assert.match(confirms[0].reason!, /expired in the offline queue/);
      assert.equal(confirms[0].session, "s-expired");
      assert.equal(rt.status().mqtt.dropped, 1);
      await broker.resume();
      await until(() => rt.status().mqtt.state === "connected", 5000, "reconnected");
      const again = await Watcher.connect(broker.url, ["zigbee2mqtt/#"], "watcher-expiry");
      await sleep(300);
      assert.deepEqual(again.on("zigbee2mqtt/living_floor_lamp/set"), [], "never fired late");
      await again.close();
    } finally {
      await rt.close();
      await broker.stop();
    }
  },
);

Deno.test(
  "shutdown while the broker is down saves the queue; the next start sends it",
  opts,
  async () => {
    const broker = await Mosquitto.start();
    const dir = await Deno.makeTempDir();
    const file = `${dir}/state/queue.json`;
    const mqtt = { url: broker.url, queueExpiryMs: 30000, backoffMinMs: 100, queueFile: file };
    const config = parseConfig({ devices: { file: EXAMPLE, confirmTimeoutMs: 2000 }, mqtt });
    const notes: string[] = [];
    try {
      await broker.kill();
      const rt = await startDevices(config, new EventBus(), { warn: (m) => notes.push(m) });
      assert.equal(await rt.ready(3000), false);
      const r = await rt.handleText("turn on the floor lamp");
      assert.equal(r.actions[0].queued, true);
      await rt.close();
      const confirms = await r.confirmations;
      assert.match(confirms[0].reason!, /saved to .*queue\.json for the next start/);
      assert.ok(
        notes.some((n) => /1 queued command\(s\) saved to .*queue\.json/.test(n)),
        notes.join("\n"),
      );
      const saved = await loadQueueFile(file);
      assert.equal(saved.kind, "ok");
      assert.equal((saved as { queue: { messages: unknown[] } }).queue.messages.length, 1);
      assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600);

      await broker.resume();
      const watcher = await Watcher.connect(broker.url, ["zigbee2mqtt/#"]);
      notes.length = 0;
      const rt2 = await startDevices(config, new EventBus(), { warn: (m) => notes.push(m) });
      try {
        await watcher.waitFor("zigbee2mqtt/living_floor_lamp/set", () => true, 5000);
        assert.ok(notes.some((n) => /restored 1 queued command\(s\) from .*; 0 expired/.test(n)));
        assert.equal(rt2.status().mqtt.restored, 1);
        await assert.rejects(Deno.stat(file), Deno.errors.NotFound, "loaded once");
      } finally {
        await rt2.close();
        await watcher.close();
      }
      assert.deepEqual(watcher.on("zigbee2mqtt/living_floor_lamp/set").length, 1, "sent once");
    } finally {
      await broker.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test(
  "a restored queue: expired commands dropped, other brokers' not sent, bad files named",
  opts,
  async () => {
    const broker = await Mosquitto.start();
    const dir = await Deno.makeTempDir();
    const file = `${dir}/queue.json`;
    const watcher = await Watcher.connect(broker.url, ["t/#"]);
    const open = async () => {
      const notes: string[] = [];
      const link = await MqttLink.connect({
        url: broker.url,
        siteId: "kitchen",
        queueExpiryMs: 10000,
        queueFile: file,
        log: (m) => notes.push(m),
      });
      await link.waitConnected();
      await sleep(200);
      await link.close();
      return { notes, status: link.status() };
    };
    try {
      const now = Date.now();
      const msg = (topic: string, queuedAt: number) => ({
        topic,
        payload: "x",
        qos: 1 as const,
        retain: false,
        queuedAt,
      });
      await saveQueueFile(file, [msg("t/old", now - 60000), msg("t/new", now - 1000)], {
        broker: broker.url,
        siteId: "kitchen",
        savedAt: now - 1000,
      });
      let r = await open();
      assert.ok(
        r.notes.some((n) => /restored 1 .* 1 expired \(older than mqtt\.queueExpiryMs/.test(n)),
        r.notes.join("\n"),
      );
      assert.equal(r.status.dropped, 1);
      await until(() => watcher.on("t/new").length === 1, 3000, "fresh one sent");
      assert.deepEqual(watcher.on("t/old"), []);

      await saveQueueFile(file, [msg("t/other", now)], {
        broker: "mqtt://192.0.2.1:1883",
        siteId: "kitchen",
        savedAt: now,
      });
      r = await open();
      assert.ok(r.notes.some((n) => /saved for mqtt:\/\/192\.0\.2\.1:1883 .*not sent/.test(n)));
      await sleep(200);
      assert.deepEqual(watcher.on("t/other"), []);

      for (const bad of ["{not json", "[]", '{"format":"x"}', "\u0000\u0001"]) {
        await Deno.writeTextFile(file, bad);
        r = await open();
        assert.ok(
          r.notes.some((n) =>
            n.includes(`ignoring the offline queue file ${file}`) && n.includes(".bad")
          ),
          r.notes.join("\n"),
        );
        assert.equal(await Deno.readTextFile(`${file}.bad`), bad);
      }
      await Deno.mkdir(file);
      r = await open();
      assert.ok(r.notes.some((n) => /not a regular file/.test(n)));
    } finally {
      await watcher.close();
      await broker.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("parseQueueFile names every malformed entry and never throws", () => {
  const base = { format: "earshot-offline-queue", version: 1, broker: "mqtt://h", savedAt: 1 };
  const ok = { topic: "a/b", payload: "p", qos: 1, retain: false, queuedAt: 5 };
  const r = parseQueueFile(JSON.stringify({
    ...base,
    messages: [
      ok,
      { ...ok, topic: "a/#" },
      { ...ok, qos: 3 },
      { ...ok, retain: "yes" },
      { ...ok, queuedAt: null },
      { ...ok, extra: 1 },
      "str",
      null,
    ],
  }));
  assert.equal(r.kind, "ok");
  if (r.kind !== "ok") return;
  assert.equal(r.queue.messages.length, 1);
  assert.deepEqual(r.skipped.map((s) => s.split(":")[0]), [
    "messages[1]",
    "messages[2]",
    "messages[3]",
    "messages[4]",
    "messages[5]",
    "messages[6]",
    "messages[7]",
  ]);
  for (
    const [text, why] of [
      ["", /not JSON/],
      ["null", /expected a JSON object/],
      [JSON.stringify({ ...base, version: 2, messages: [] }), /not an earshot offline queue/],
      [JSON.stringify({ ...base, broker: 1, messages: [] }), /broker/],
      [JSON.stringify({ ...base, savedAt: "x", messages: [] }), /savedAt/],
      [JSON.stringify({ ...base, messages: {} }), /messages: expected an array/],
    ] as const
  ) {
    const b = parseQueueFile(text);
    assert.equal(b.kind, "bad", text);
    if (b.kind === "bad") assert.match(b.message, why);
  }
  // A BOM is fine.
  assert.equal(parseQueueFile("\uFEFF" + JSON.stringify({ ...base, messages: [] })).kind, "ok");
});
