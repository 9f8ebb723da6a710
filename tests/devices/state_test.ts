import assert from "node:assert/strict";
import { DeviceStates, expectationFor } from "../../devices/state.ts";

Deno.test("expectations: what a report must show for each command", () => {
  const ok = (
    cmd: Parameters<typeof expectationFor>[0],
    state: object,
    partial = state,
    before = {},
  ) => expectationFor(cmd, before)!(state, partial);
  assert.ok(ok({ kind: "on" }, { on: true }));
  assert.ok(!ok({ kind: "on" }, { on: false }));
  assert.ok(ok({ kind: "off" }, { on: false }));
  assert.ok(ok({ kind: "toggle" }, { on: false }, { on: false }, { on: true }));
  assert.ok(!ok({ kind: "toggle" }, { on: true }, { on: true }, { on: true }));
  assert.ok(
    ok({ kind: "toggle" }, { on: true }, { on: true }, {}),
    "unknown before: any on/off report",
  );
  assert.ok(ok({ kind: "brightness", value: 50 }, { on: true, brightness: 51 }));
  assert.ok(!ok({ kind: "brightness", value: 50 }, { on: true, brightness: 60 }));
  assert.ok(ok({ kind: "brightness", value: 0 }, { on: false }));
  assert.ok(ok({ kind: "brightness", value: 0 }, { brightness: 0 }), "Homie reports level 0");
  assert.ok(ok({ kind: "colorTemp", value: 2700 }, { colorTemp: 2700 }));
  assert.ok(ok({ kind: "colorTemp", value: 6500 }, { colorTemp: 6540 }), "mired rounding");
  assert.ok(!ok({ kind: "colorTemp", value: 2700 }, { colorTemp: 4000 }));
  assert.ok(ok({ kind: "temperature", value: 21 }, { temperature: 21.5 }));
  assert.ok(!ok({ kind: "temperature", value: 21 }, { temperature: 22 }));
  assert.ok(ok({ kind: "open" }, { position: 100 }));
  assert.ok(!ok({ kind: "open" }, { position: 50 }));
  assert.ok(ok({ kind: "close" }, { position: 0 }));
  assert.ok(ok({ kind: "position", value: 40 }, { position: 41 }));
  assert.ok(ok({ kind: "stop" }, { position: 37 }, { position: 37 }));
  assert.ok(!ok({ kind: "stop" }, { position: 37 }, { on: true }));
  assert.ok(ok({ kind: "speed", value: 50 }, { speed: 66 }), "fan steps");
  assert.ok(!ok({ kind: "speed", value: 33 }, { speed: 100 }));
  assert.equal(expectationFor({ kind: "activate" }, {}), null);
});

Deno.test("DeviceStates merges reports and wakes the matching waiter only", async () => {
  const s = new DeviceStates();
  const w1 = s.expect("lamp", (st) => st.on === true);
  const w2 = s.expect("other", (st) => st.on === true);
  s.update("lamp", { brightness: 10 });
  assert.equal(s.pending, 2);
  s.update("lamp", { on: true });
  assert.deepEqual(await w1.promise, { brightness: 10, on: true });
  assert.equal(s.pending, 1);
  w2.cancel();
  assert.equal(s.pending, 0);
  assert.deepEqual(s.get("lamp"), { brightness: 10, on: true });
  assert.deepEqual(s.get("nothing"), {});
  const snap = s.snapshot();
  assert.equal(snap.lamp.on, true);
  assert.match(snap.lamp.updatedAt!, /^\d{4}-\d\d-\d\dT/);
  let seen = 0;
  const off = s.onUpdate(() => seen++);
  s.update("lamp", { on: false });
  off();
  s.update("lamp", { on: true });
  assert.equal(seen, 1);
});

Deno.test("DeviceStates: changedAt moves only when a report changes a field", () => {
  const s = new DeviceStates();
  const at = (ms: number) => new Date(ms).toISOString();
  s.update("lamp", { on: true, brightness: 40 }, 1000);
  s.update("lamp", { on: true }, 2000); // a periodic report repeating the state
  assert.deepEqual([s.snapshot().lamp.updatedAt, s.snapshot().lamp.changedAt], [
    at(2000),
    at(1000),
  ]);
  s.update("lamp", { brightness: 60 }, 3000);
  assert.equal(s.snapshot().lamp.changedAt, at(3000));
  s.update("lamp", { available: true, availableBy: { a: true } }, 4000);
  s.update("lamp", { availableBy: { a: true } }, 5000);
  assert.equal(s.snapshot().lamp.changedAt, at(4000));
});
