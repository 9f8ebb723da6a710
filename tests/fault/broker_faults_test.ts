/**
 * Fault injection on the MQTT side (issue 13): a real Mosquitto is killed
 * (SIGKILL), restarted (SIGTERM), flapped and kept down longer than the queue
 * expiry while earshot's MQTT link sends a numbered command every 50 ms. A
 * watcher with a persistent session counts what reached the broker. For each
 * command the broker's up times say what must happen:
 *
 * - the broker was up for a while (queueRetryMs + a margin) before the
 *   command expired: it must arrive, once (else "lost inside the expiry");
 * - the broker was down from the command until its expiry: it must never
 *   arrive ("fired after the expiry");
 * - in between (the broker came back within queueRetryMs of the expiry):
 *   either, but at most once.
 *
 * Counts lost / fired late / duplicated must be 0; every command is reported
 * exactly once (sent or dropped with a reason). Figures are printed.
 */
import assert from "node:assert/strict";
import { connect } from "mqtt";
import { type Delivery, MqttLink } from "../../devices/mqtt.ts";
import { Mosquitto, until } from "../devices/mosquitto.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const EXPIRY = 3000;
const RETRY = 250;
/** Time to connect once the broker listens (a loaded CI machine is slow). */
const MARGIN = 1000;

interface Sent {
  i: number;
  queuedAt: number;
  queued: boolean;
  done: Delivery[];
}

Deno.test(
  "broker killed, restarted, flapping, down past the expiry: nothing lost, late or twice",
  opts,
  async () => {
    const broker = await Mosquitto.start();
    const received = new Map<number, number>();
    let redelivered = 0;
    const watcher = connect(broker.url, {
      clientId: "fault-watcher",
      clean: false,
      reconnectPeriod: 50,
      connectTimeout: 3000,
    });
    watcher.on("message", (_topic, payload, packet) => {
      const i = Number(new TextDecoder().decode(payload));
      // A broker redelivery to the watcher (its own QoS 1 retry) is flagged dup: not earshot's.
      if (packet.dup) {
        redelivered++;
        if (received.has(i)) return;
      }
      received.set(i, (received.get(i) ?? 0) + 1);
    });
    await new Promise<void>((r) => watcher.once("connect", () => r()));
    await watcher.subscribeAsync("fault/#", { qos: 1 });
    // Save the watcher's session to disk (SIGTERM), so it survives the SIGKILLs below.
    await broker.kill("SIGTERM");
    await broker.resume();

    const ups: Array<{ from: number; to: number }> = [];
    let upSince = Date.now();
    const down = async (signal: "SIGKILL" | "SIGTERM") => {
      ups.push({ from: upSince, to: Date.now() });
      await broker.kill(signal);
    };
    const up = async () => {
      await broker.resume();
      upSince = Date.now();
    };

    const link = await MqttLink.connect({
      url: broker.url,
      queueExpiryMs: EXPIRY,
      queueRetryMs: RETRY,
      backoffMinMs: 100,
      backoffMaxMs: 30000,
    });
    const sent: Sent[] = [];
    let sending = true;
    try {
      await link.waitConnected();
      const sender = (async () => {
        for (let i = 0; sending; i++) {
          const s: Sent = { i, queuedAt: Date.now(), queued: false, done: [] };
          s.queued = link.publish(`fault/cmd`, String(i), { qos: 1, onDone: (d) => s.done.push(d) })
            .queued;
          sent.push(s);
          await sleep(50);
        }
      })();
      await sleep(1000);
      // Killed: down 1.5 s (inside the expiry).
      await down("SIGKILL");
      await sleep(1500);
      await up();
      await sleep(1500);
      // Restarted.
      await down("SIGTERM");
      await up();
      await sleep(1500);
      // Flapping: down 300 ms, up 400 ms, four times.
      for (let k = 0; k < 4; k++) {
        await down("SIGKILL");
        await sleep(300);
        await up();
        await sleep(400);
      }
      await sleep(1500);
      // Down longer than the expiry.
      await down("SIGKILL");
      await sleep(EXPIRY + 2000);
      await up();
      await sleep(2500);
      sending = false;
      await sender;
      ups.push({ from: upSince, to: Infinity });
      await until(
        () => sent.every((s) => s.done.length > 0),
        EXPIRY + 5000,
        "every command reported",
      );
      await sleep(1000);

      let lost = 0, late = 0, twice = 0, ambiguous = 0, inflight = 0, expired = 0;
      const problems: string[] = [];
      for (const s of sent) {
        const n = received.get(s.i) ?? 0;
        const x = s.queuedAt + EXPIRY;
        // Sent at once while connected, or the broker was back in time: it must arrive.
        const must = !s.queued ||
          ups.some((u) => Math.max(u.from, s.queuedAt) + RETRY + MARGIN <= Math.min(u.to, x));
        const never = ups.every((u) => u.to < s.queuedAt || u.from > x);
        const reason = s.done[0]?.status === "dropped" ? s.done[0].reason : undefined;
        if (reason?.startsWith("connection lost")) inflight++;
        if (reason?.startsWith("expired")) expired++;
        if (n > 1) {
          twice++;
          problems.push(`#${s.i} arrived ${n} times`);
        }
        if (must && n === 0 && !reason?.startsWith("connection lost")) {
          lost++;
          problems.push(`#${s.i} lost inside the expiry (${reason ?? "reported sent"})`);
        }
        if (never && n > 0) {
          late++;
          problems.push(`#${s.i} fired after its expiry`);
        }
        if (!must && !never) ambiguous++;
        if (s.done.length !== 1) problems.push(`#${s.i} reported ${s.done.length} times`);
        if (n > 0 && s.done[0]?.status === "dropped" && !reason?.startsWith("connection lost")) {
          problems.push(`#${s.i} arrived but was reported dropped (${reason})`);
        }
      }
      const st = link.status();
      const figures = {
        commands: sent.length,
        queued: sent.filter((s) => s.queued).length,
        delivered: [...received.keys()].length,
        lostInsideExpiry: lost,
        firedAfterExpiry: late,
        duplicated: twice,
        expiredDropped: expired,
        inFlightAtCrashReported: inflight,
        ambiguousWithinRetryOfExpiry: ambiguous,
        brokerRedeliveriesToWatcher: redelivered,
        reconnects: st.reconnects,
      };
      console.log(`broker faults: ${JSON.stringify(figures)}`);
      assert.deepEqual(problems, []);
      assert.equal(lost + late + twice, 0);
      assert.ok(expired > 0, "the long outage expired some commands");
      assert.ok(figures.queued > 50, "commands were queued during the outages");
      assert.equal(st.sent + st.dropped, sent.length, "counters add up");
      assert.equal(st.dropped, expired + inflight, "dropped = expired + lost in flight");
    } finally {
      sending = false;
      await link.close();
      await watcher.endAsync(true);
      await broker.stop();
    }
  },
);
