/**
 * The voice back's player (audio/player.ts) on the real programs: aplay on ALSA's null device,
 * espeak-ng and flite rendering sentences, the committed sounds, and what goes wrong clearly.
 */
import assert from "node:assert/strict";
import { ConfigError, DEFAULTS } from "../../core/config.ts";
import {
  type AnswersConfig,
  type Clip,
  clipOf,
  detectEngine,
  fixStreamedWav,
  loadSounds,
  Player,
  SOUND_NAMES,
} from "../../audio/player.ts";
import { sounds } from "../../scripts/make_sounds.ts";

const config = (over: Partial<AnswersConfig> = {}): AnswersConfig => ({
  ...DEFAULTS.answers,
  device: "null",
  ...over,
});

const seconds = (c: Clip) => c.samples.length / c.sampleRate;
const rms = (x: Float32Array) => Math.sqrt(x.reduce((a, v) => a + v * v, 0) / x.length);
/** Share of 20 ms windows louder than -40 dBFS. */
function voiced(c: Clip): number {
  const n = Math.round(c.sampleRate * 0.02);
  let loud = 0, all = 0;
  for (let i = 0; i + n <= c.samples.length; i += n, all++) {
    if (rms(c.samples.subarray(i, i + n)) > 0.01) loud++;
  }
  return loud / all;
}

Deno.test("the committed sounds are exactly what scripts/make_sounds.ts writes", async () => {
  const made = sounds();
  for (const name of SOUND_NAMES) {
    const file = new URL(`../../assets/sounds/${name}.wav`, import.meta.url);
    assert.deepEqual(
      await Deno.readFile(file),
      made[name],
      `${name}.wav differs: run scripts/make_sounds.ts`,
    );
  }
  // Twice the same bytes: the synthesis is deterministic.
  assert.deepEqual(sounds(), made);
});

Deno.test("the sounds are short, audible and distinct: wake under 0.2 s, error the longest", async () => {
  const clips = await loadSounds("assets/sounds");
  const len = Object.fromEntries(SOUND_NAMES.map((n) => [n, seconds(clips[n])]));
  assert.ok(len.wake > 0.1 && len.wake < 0.2, `wake ${len.wake} s`);
  assert.ok(len.done > 0.2 && len.done < 0.3, `done ${len.done} s`);
  assert.ok(len.error > 0.4 && len.error < 0.5, `error ${len.error} s`);
  for (const n of SOUND_NAMES) {
    const peak = Math.max(...clips[n].samples.map(Math.abs));
    assert.ok(peak > 0.3 && peak < 0.7, `${n} peak ${peak}`);
  }
});

Deno.test("real aplay on ALSA's null device plays each sound; the player counts them", async () => {
  const clips = await loadSounds("assets/sounds");
  const reports: string[] = [];
  const player = new Player({
    config: config(),
    engine: null,
    sounds: clips,
    report: (m) => reports.push(m),
  });
  for (const sound of SOUND_NAMES) await player.play({ sound });
  assert.deepEqual(reports, []);
  assert.equal(player.stats.sounds, 3);
  assert.equal(player.stats.failed, 0);
  const total = SOUND_NAMES.reduce((a, n) => a + seconds(clips[n]), 0) * 1000;
  assert.ok(Math.abs(player.stats.playedMs - total) < 5, `${player.stats.playedMs} vs ${total}`);
  // Sounds off: nothing is played; a sentence without an engine is not spoken.
  const quiet = new Player({ config: config({ sounds: false }), engine: null, sounds: clips });
  await quiet.play({ sound: "done", text: "hello" });
  assert.deepEqual(quiet.stats, { sounds: 0, spoken: 0, failed: 0, playedMs: 0 });
});

for (const engine of ["espeak-ng", "flite"] as const) {
  Deno.test(`${engine} renders a reply to a WAV of the right length that is not silence, and aplay plays it`, async () => {
    const player = new Player({ config: config({ engine }), engine });
    const clip = await player.synthesize("the kitchen light is on, at 40 percent");
    assert.ok(clip);
    const s = seconds(clip);
    // About 2.5 words per second.
    assert.ok(s > 1.2 && s < 4.5, `${engine}: ${s.toFixed(2)} s`);
    assert.ok(voiced(clip) > 0.4, `${engine}: only ${voiced(clip)} of the windows are voiced`);
    assert.ok(rms(clip.samples) > 0.02, `${engine}: rms ${rms(clip.samples)}`);
    const longer = await player.synthesize(
      "the patio heater did not respond, and the porch light and the garage door are offline",
    );
    assert.ok(seconds(longer!) > s * 1.5, "a longer sentence takes longer");
    await player.play({ text: "I didn't catch that" });
    assert.deepEqual([player.stats.spoken, player.stats.failed], [1, 0]);
    assert.ok(player.stats.playedMs > 500, `${player.stats.playedMs} ms`);
  });
}

Deno.test("a voice the engine lacks and a device ALSA lacks are reported, never thrown", async () => {
  const reports: string[] = [];
  const badVoice = new Player({
    config: config({ voice: "nosuchvoice" }),
    engine: "espeak-ng",
    report: (m) => reports.push(m),
  });
  await badVoice.play({ text: "hello" });
  assert.deepEqual([badVoice.stats.spoken, badVoice.stats.failed], [0, 1]);
  assert.match(
    reports[0],
    /^espeak-ng exited with 1: Error: The specified espeak-ng voice does not exist/,
  );
  const clips = await loadSounds("assets/sounds");
  const badDevice = new Player({
    config: config({ device: "plughw:99,0" }),
    engine: null,
    sounds: clips,
    report: (m) => reports.push(m),
  });
  await badDevice.play({ sound: "wake" });
  await badDevice.play({ sound: "wake" });
  assert.equal(badDevice.stats.failed, 2);
  assert.equal(badDevice.stats.playedMs, 0);
  // The same failure is reported once in a row.
  assert.equal(reports.filter((r) => r.includes("plughw:99,0")).length, 1, reports.join("\n"));
  assert.match(reports.at(-1)!, /^answers\.device plughw:99,0: aplay exited with 1: aplay: /);
  const missing = new Player({
    config: config({ aplay: "/nonexistent/aplay" }),
    engine: null,
    sounds: clips,
    report: (m) => reports.push(m),
  });
  await missing.play({ sound: "done" });
  assert.match(reports.at(-1)!, /^answers\.aplay: cannot run \/nonexistent\/aplay/);
});

Deno.test("detectEngine: auto finds espeak-ng, a named engine is used, a missing one leaves sounds only", async () => {
  assert.deepEqual(await detectEngine(config()), { engine: "espeak-ng" });
  assert.deepEqual(await detectEngine(config({ engine: "flite" })), { engine: "flite" });
  assert.deepEqual(await detectEngine(config({ engine: "none" })), { engine: null });
  assert.deepEqual(await detectEngine(config({ speech: false })), { engine: null });
  const auto = await detectEngine(config({ espeak: "/nonexistent/espeak-ng" }));
  assert.deepEqual(auto, { engine: "flite" });
  const none = await detectEngine(
    config({ espeak: "/nonexistent/espeak-ng", flite: "/nonexistent/flite" }),
  );
  assert.equal(none.engine, null);
  assert.match(
    none.note!,
    /^answers\.engine auto: \/nonexistent\/espeak-ng or \/nonexistent\/flite not found/,
  );
});

Deno.test("busy while playing and muteTailMs after; a queue plays in order", async () => {
  let now = 0;
  const clips = await loadSounds("assets/sounds");
  const order: string[] = [];
  const player = new Player({
    config: config({ muteTailMs: 300 }),
    engine: "espeak-ng",
    sounds: clips,
    now: () => now,
  });
  assert.equal(player.busy, false);
  const a = player.play({ sound: "wake" }).then(() => order.push("wake"));
  const b = player.play({ sound: "done", text: "done" }).then(() => order.push("done"));
  assert.equal(player.busy, true);
  await Promise.all([a, b]);
  assert.deepEqual(order, ["wake", "done"]);
  assert.equal(player.busy, true, "within the tail");
  now += 299;
  assert.equal(player.busy, true);
  now += 2;
  assert.equal(player.busy, false);
});

Deno.test("sounds: a missing folder or a bad WAV refuses to start, naming the file", async () => {
  await assert.rejects(loadSounds("/nonexistent/sounds"), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.match(
      err.message,
      /^answers\.soundsDir: cannot read \/nonexistent\/sounds\/wake\.wav: .*make_sounds/,
    );
    return true;
  });
  const dir = await Deno.makeTempDir();
  for (const n of SOUND_NAMES) await Deno.writeTextFile(`${dir}/${n}.wav`, "not a wav");
  await assert.rejects(loadSounds(dir), new RegExp(`answers\\.soundsDir: ${dir}/wake\\.wav: `));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a WAV streamed to a pipe (espeak-ng --stdout) gets its real data size", async () => {
  const out = await new Deno.Command("espeak-ng", { args: ["--stdout", "hello"], stdout: "piped" })
    .output();
  const v = new DataView(out.stdout.buffer);
  assert.ok(v.getUint32(40, true) > out.stdout.length, "espeak-ng declares more than it wrote");
  const fixed = fixStreamedWav(out.stdout.slice());
  assert.equal(new DataView(fixed.buffer).getUint32(40, true), fixed.length - 44);
  assert.ok(seconds(clipOf(fixed, "espeak-ng")) > 0.3);
});

Deno.test("what reaches ALSA is the sound scaled to answers.volume (ALSA's file plugin records it)", async () => {
  const dir = await Deno.makeTempDir();
  const clips = await loadSounds("assets/sounds");
  const played: Record<string, Float32Array> = {};
  for (const volume of [1, 0.25]) {
    const file = `${dir}/played_${volume}.wav`;
    const player = new Player({
      config: config({ device: `file:'${file}',wav`, volume }),
      engine: null,
      sounds: clips,
    });
    await player.play({ sound: "wake" });
    assert.equal(player.stats.failed, 0);
    played[volume] = clipOf(await Deno.readFile(file), file).samples;
  }
  const wake = clips.wake.samples;
  for (let i = 0; i < wake.length; i++) {
    assert.ok(Math.abs(played[1][i] - wake[i]) < 1e-4, `sample ${i} at volume 1`);
    assert.ok(Math.abs(played[0.25][i] - wake[i] * 0.25) < 1e-4, `sample ${i} at volume 0.25`);
  }
  // Spoken text reaches ALSA too: as long as espeak-ng's rendering of it.
  const file = `${dir}/spoken.wav`;
  const speaker = new Player({
    config: config({ device: `file:'${file}',wav` }),
    engine: "espeak-ng",
  });
  const rendered = await speaker.synthesize("the kitchen light is on");
  await speaker.play({ text: "the kitchen light is on" });
  const heard = clipOf(await Deno.readFile(file), file);
  assert.ok(seconds(heard) >= seconds(rendered!) && seconds(heard) < seconds(rendered!) + 0.3);
  assert.ok(voiced(heard) > 0.4);
  await Deno.remove(dir, { recursive: true });
});
