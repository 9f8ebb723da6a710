import assert from "node:assert/strict";
import { type Delivery, MqttLink, topicMatches } from "../../devices/mqtt.ts";
import { startEmbeddedBroker } from "../../devices/broker.ts";
import { Mosquitto, until, Watcher } from "./mosquitto.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test("topicMatches follows MQTT wildcard rules", () => {
  assert.ok(topicMatches("a/b", "a/b"));
  assert.ok(topicMatches("a/+/c", "a/x/c"));
  assert.ok(!topicMatches("a/+/c", "a/x/y/c"));
  assert.ok(topicMatches("a/#", "a/x/y"));
  assert.ok(topicMatches("a/#", "a"));
  assert.ok(topicMatches("#", "x/y"));
  assert.ok(!topicMatches("a/b", "a/b/c"));
  assert.ok(!topicMatches("a/b/c", "a/b"));
});

Deno.test("bad URLs and missing TLS files are named", async () => {
  await assert.rejects(MqttLink.connect({ url: "not a url" }), /mqtt\.url: invalid URL/);
  await assert.rejects(MqttLink.connect({ url: "http://x" }), /unsupported protocol "http:"/);
  await assert.rejects(
    MqttLink.connect({ url: "mqtts://127.0.0.1:1", ca: "/nonexistent/ca.pem" }),
    /mqtt\.ca: cannot read \/nonexistent\/ca\.pem/,
  );
});

for (const kind of ["mosquitto", "aedes"] as const) {
  Deno.test(`${kind}: birth, last will, subscribe, publish QoS 1 burst`, opts, async () => {
    let url: string;
    let stop: () => Promise<void>;
    if (kind === "mosquitto") {
      const m = await Mosquitto.start();
      url = m.url;
      stop = () => m.stop();
    } else {
      const b = await startEmbeddedBroker("127.0.0.1", 0);
      url = b.url;
      stop = () => b.close();
    }
    const watcher = await Watcher.connect(url);
    const link = await MqttLink.connect({ url, availabilityTopic: "earshot/test/status" });
    try {
      await link.waitConnected();
      await watcher.waitFor("earshot/test/status", (p) => p === "online");
      const got: string[] = [];
      link.subscribe("dev/+/state", (t, p) => got.push(`${t}=${p}`));
      await new Promise((r) => setTimeout(r, 100));
      await watcher.publish("dev/a/state", "ON");
      await until(() => got.length === 1, 2000, "state message");
      assert.deepEqual(got, ["dev/a/state=ON"]);
      const done: Delivery[] = [];
      for (let i = 0; i < 500; i++) {
        link.publish("burst", String(i), { onDone: (d) => done.push(d) });
      }
      await until(() => watcher.on("burst").length === 500, 5000, "500 messages");
      assert.deepEqual(watcher.on("burst"), Array.from({ length: 500 }, (_, i) => String(i)));
      await until(() => done.length === 500, 3000, "acks");
      assert.ok(done.every((d) => d.status === "sent"));
      assert.equal(link.status().sent, 500);
    } finally {
      await link.close();
      await watcher.waitFor("earshot/test/status", (p) => p === "offline");
      await watcher.close();
      await stop();
    }
  });
}

Deno.test(
  "broker down at start: commands queue, then go out once after it comes up",
  opts,
  async () => {
    const m = await Mosquitto.start();
    await m.kill();
    const states: string[] = [];
    const link = await MqttLink.connect({
      url: m.url,
      backoffMinMs: 50,
      backoffMaxMs: 200,
      queueExpiryMs: 10000,
      onState: (s) => states.push(s),
    });
    try {
      const done: Delivery[] = [];
      const r = link.publish("cmd/a", "1", { onDone: (d) => done.push(d) });
      assert.equal(r.queued, true);
      await until(() => link.status().reconnects >= 2, 3000, "reconnect attempts");
      assert.equal(link.state === "connected", false);
      assert.equal(link.status().queued, 1);
      await m.resume();
      const w = await Watcher.connect(m.url);
      await link.waitConnected(3000);
      await until(() => done.length === 1, 3000, "delivery");
      assert.equal(done[0].status, "sent");
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(link.status().queued, 0);
      await w.close();
    } finally {
      await link.close();
      await m.stop();
    }
  },
);

Deno.test(
  "broker restarted mid-run: stale commands are dropped and reported, fresh ones sent once",
  opts,
  async () => {
    const m = await Mosquitto.start();
    let now = 1_000_000;
    // The "device" keeps a persistent session, so it gets what is sent while it reconnects.
    const w = await Watcher.connect(m.url, ["cmd/#"], "device-under-test");
    const link = await MqttLink.connect({
      url: m.url,
      backoffMinMs: 50,
      backoffMaxMs: 100,
      queueExpiryMs: 5000,
      now: () => now,
    });
    try {
      await link.waitConnected();
      await m.kill("SIGTERM");
      await until(() => link.state !== "connected", 3000, "offline");
      const done: Record<string, Delivery> = {};
      link.publish("cmd/old", "old", { onDone: (d) => (done.old = d) });
      now += 6000; // "old" is now stale
      link.publish("cmd/new", "new", { onDone: (d) => (done.new = d) });
      const w0 = link.publish("cmd/noqueue", "x", {
        queue: false,
        onDone: (d) => (done.noqueue = d),
      });
      assert.equal(w0.queued, false);
      assert.equal(done.noqueue.status, "dropped");
      await m.resume();
      await link.waitConnected(3000);
      await until(() => !!done.old && !!done.new, 3000, "both reported");
      assert.equal(done.old.status, "dropped");
      assert.match((done.old as { reason: string }).reason, /expired/);
      assert.equal(done.new.status, "sent");
      await w.waitFor("cmd/new");
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(w.on("cmd/new"), ["new"], "sent exactly once");
      assert.deepEqual(w.on("cmd/old"), [], "stale never sent");
      assert.equal(link.status().dropped, 1);
      assert.equal(link.status().skipped, 1);
    } finally {
      await w.close();
      await link.close();
      await m.stop();
    }
  },
);

Deno.test(
  "username/password: accepted with the right password, error reported otherwise",
  opts,
  async () => {
    const dir = await Deno.makeTempDir();
    const pw = `${dir}/passwd`;
    await Deno.writeTextFile(pw, "");
    const r = await new Deno.Command("mosquitto_passwd", { args: ["-b", pw, "earshot", "s3cret"] })
      .output();
    assert.ok(r.success, new TextDecoder().decode(r.stderr));
    const m = await Mosquitto.start({
      plainListener: false,
      extraConfig: ["listener $PORT 127.0.0.1", "allow_anonymous false", `password_file ${pw}`],
    });
    const url = m.url;
    const good = await MqttLink.connect({ url, username: "earshot", password: "s3cret" });
    const bad = await MqttLink.connect({
      url,
      username: "earshot",
      password: "wrong",
      backoffMinMs: 100,
    });
    try {
      await good.waitConnected();
      await until(() => !!bad.status().lastError, 3000, "auth error");
      assert.match(bad.status().lastError!, /not authori[sz]ed|bad user/i);
      assert.notEqual(bad.state, "connected");
      const u = new URL("mqtt://earshot:s3cret@127.0.0.1:1");
      const l = await MqttLink.connect({ url: u.toString(), backoffMinMs: 1000 });
      assert.match(l.status().url, /earshot:\*\*\*@/);
      await l.close();
    } finally {
      await good.close();
      await bad.close();
      await m.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("reconnect backoff doubles from backoffMinMs up to backoffMaxMs", opts, async () => {
  const m = await Mosquitto.start();
  await m.kill();
  const delays: number[] = [];
  let link: MqttLink | undefined = undefined;
  link = await MqttLink.connect({
    url: m.url,
    backoffMinMs: 20,
    backoffMaxMs: 80,
    onState: (s) => {
      if (s === "offline") queueMicrotask(() => delays.push(link!.status().nextRetryMs!));
    },
  });
  try {
    assert.equal(await link.settled(3000), false, "first attempt failed");
    await until(() => delays.length >= 5, 5000, "5 retries");
    assert.deepEqual(delays.slice(0, 5), [20, 40, 80, 80, 80]);
    await m.resume();
    await link.waitConnected(3000);
    assert.equal(link.status().nextRetryMs, undefined);
    assert.ok(link.status().reconnects >= 5);
  } finally {
    await link.close();
    await m.stop();
  }
});
