/**
 * The remote control's state: what it refuses, how it listens, and its state file (written on
 * every change, read at start; a bad one is named and ignored, never a crash).
 */
import assert from "node:assert/strict";
import { EventBus } from "../../core/bus.ts";
import type { WakeEvent } from "../../core/events.ts";
import {
  checkSensitivity,
  readRemoteState,
  RemoteControl,
  RemoteError,
} from "../../core/remote.ts";
import { tempDir } from "../helpers/audio.ts";

Deno.test("listen emits a wake event at the live pipeline's sample, with its source and a session", () => {
  const bus = new EventBus();
  const wakes: WakeEvent[] = [];
  bus.onType("wake", (e) => wakes.push(e));
  const remote = new RemoteControl(bus, { muted: false, sensitivity: 0.5 });
  remote.attach({ sample: () => 48000 });
  const e = remote.listen({ source: "http" });
  assert.deepEqual(wakes, [e]);
  assert.equal(e.t, 3);
  assert.equal(e.sample, 48000);
  assert.equal(e.source, "http");
  assert.equal(e.model, "http");
  assert.match(e.session!, /^[0-9a-f-]{36}$/);
  const h = remote.listen({ source: "hermes", sessionId: "s1", wakewordId: "hey_computer" });
  assert.deepEqual([h.session, h.model], ["s1", "hey_computer"]);
  assert.deepEqual(remote.listens, { hermes: 1, homeassistant: 0, http: 1 });
});

Deno.test("listen is refused while muted (Hermes excepted) and without a live pipeline", () => {
  const bus = new EventBus();
  const remote = new RemoteControl(bus, { muted: true, sensitivity: 0.5 });
  assert.throws(() => remote.listen({ source: "http" }), (err: Error) => {
    assert.ok(err instanceof RemoteError);
    assert.equal(err.code, "muted");
    assert.match(err.message, /the wake word is muted/);
    return true;
  });
  assert.throws(() => remote.listen({ source: "homeassistant" }), /muted/);
  // Hermes asks to listen after turning the hotword off; there is no pipeline here though.
  assert.throws(() => remote.listen({ source: "hermes" }), (err: Error) => {
    assert.equal((err as RemoteError).code, "no_pipeline");
    assert.match(err.message, /no live audio pipeline/);
    return true;
  });
  assert.equal(remote.refused, 3);
});

Deno.test("sensitivity must be a number from 0 to 1; a bad value changes nothing", () => {
  assert.equal(checkSensitivity(0), 0);
  assert.equal(checkSensitivity(1), 1);
  for (const bad of [-0.01, 1.01, NaN, Infinity, "0.5", null, undefined]) {
    assert.throws(() => checkSensitivity(bad), RemoteError, String(bad));
  }
  assert.throws(() => checkSensitivity(2), /sensitivity: 2 is out of range \(0 to 1\)/);
  assert.throws(() => checkSensitivity("x"), /sensitivity: expected a number from 0 to 1/);
  const remote = new RemoteControl(new EventBus(), { muted: false, sensitivity: 0.5 });
  const seen: unknown[] = [];
  remote.onChange((s, by) => seen.push([s, by]));
  assert.throws(() => remote.setSensitivity(3, "test"), /out of range/);
  assert.equal(remote.sensitivity, 0.5);
  remote.setSensitivity(0.5, "test"); // no change, no notice
  remote.setSensitivity(0.8, "homeassistant");
  assert.deepEqual(seen, [[{ muted: false, sensitivity: 0.8 }, "homeassistant"]]);
  assert.throws(
    () => new RemoteControl(new EventBus(), { muted: false, sensitivity: 5 }),
    /out of range/,
  );
});

Deno.test("the state file is written on every change and read back by the next start", async () => {
  await using dir = await tempDir();
  const file = `${dir.path}/deeper/remote.json`;
  const a = await RemoteControl.open(new EventBus(), { sensitivity: 0.5, stateFile: file });
  assert.deepEqual(a.state, { muted: false, sensitivity: 0.5 }); // no file yet: the config's
  a.setMuted(true, "homeassistant");
  a.setSensitivity(0.3, "homeassistant");
  await a.flush();
  assert.deepEqual(JSON.parse(await Deno.readTextFile(file)), { muted: true, sensitivity: 0.3 });
  const b = await RemoteControl.open(new EventBus(), { sensitivity: 0.9, stateFile: file });
  assert.deepEqual(b.state, { muted: true, sensitivity: 0.3 }); // the file wins over the config
  assert.equal(b.status().stateFile, file);
  // A Hermes toggle is live only: the file keeps what the user chose.
  b.setMuted(false, "homeassistant");
  b.setMuted(true, "hermes");
  await b.flush();
  assert.equal(b.muted, true);
  assert.deepEqual(JSON.parse(await Deno.readTextFile(file)), { muted: false, sensitivity: 0.3 });
  const again = await RemoteControl.open(new EventBus(), { sensitivity: 0.5, stateFile: file });
  assert.equal(again.muted, false);
  // "" keeps the state in memory.
  const c = await RemoteControl.open(new EventBus(), { sensitivity: 0.5, stateFile: "" });
  c.setMuted(true, "test");
  await c.flush();
  assert.equal(c.status().stateFile, null);
});

Deno.test("a bad state file is named with its field and ignored; earshot starts with the config's values", async () => {
  await using dir = await tempDir();
  const cases: Array<[string, RegExp]> = [
    ["{not json", /remote\.json: not JSON/],
    ["[1, 2]", /remote\.json: expected a JSON object/],
    ['{"muted": "yes"}', /remote\.json: muted: expected true or false/],
    ['{"sensitivity": 1.7}', /remote\.json: sensitivity: 1\.7 is out of range \(0 to 1\)/],
    ['{"sensitivity": "high"}', /remote\.json: sensitivity: expected a number from 0 to 1/],
  ];
  for (const [text, re] of cases) {
    const file = `${dir.path}/remote.json`;
    await Deno.writeTextFile(file, text);
    await assert.rejects(() => readRemoteState(file), re);
    const warnings: string[] = [];
    const r = await RemoteControl.open(new EventBus(), {
      sensitivity: 0.6,
      stateFile: file,
      warn: (m) => warnings.push(m),
    });
    assert.deepEqual(r.state, { muted: false, sensitivity: 0.6 }, text);
    assert.equal(warnings.length, 1, text);
    assert.match(warnings[0], /^remote state ignored: /);
    assert.match(warnings[0], re);
  }
  assert.equal(await readRemoteState(`${dir.path}/absent.json`), null);
  // A directory where the file should be: named, not thrown.
  await Deno.mkdir(`${dir.path}/isdir.json`);
  await assert.rejects(() => readRemoteState(`${dir.path}/isdir.json`), /isdir\.json: cannot read/);
});
