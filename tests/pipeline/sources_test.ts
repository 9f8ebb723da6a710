import assert from "node:assert/strict";
import { micSource, pcmSource, SourceError, wavSource } from "../../audio/sources.ts";
import { S16Decoder } from "../../audio/pcm.ts";
import { encodeWav, readWav } from "../../audio/wav.ts";
import { resample } from "../../audio/resample.ts";
import { sox, tempDir, tone } from "../helpers/audio.ts";

async function collect(it: AsyncIterable<Float32Array>): Promise<Float32Array> {
  const parts: Float32Array[] = [];
  for await (const c of it) parts.push(c);
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) (out.set(p, o), o += p.length);
  return out;
}

function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(c) {
      for (const x of chunks) c.enqueue(x);
      c.close();
    },
  });
}

Deno.test("WAV source: a 44.1 kHz stereo file arrives as 16 kHz mono, with start and end reported", async () => {
  await using dir = await tempDir();
  const mono = `${dir.path}/m.wav`;
  const path = `${dir.path}/s.wav`;
  await Deno.writeFile(mono, encodeWav(tone(500, 44100, 0.75, 0.3), 44100));
  await sox(mono, "-c", "2", path);
  const states: string[] = [];
  const got = await collect(wavSource(path, { report: (e) => states.push(e.state) }));
  const expected = resample((await readWav(mono)).samples, 44100, 16000);
  assert.equal(got.length, expected.length);
  for (let i = 0; i < got.length; i += 101) assert.ok(Math.abs(got[i] - expected[i]) < 1e-3);
  assert.deepEqual(states, ["started", "ended"]);
});

Deno.test("WAV source in realtime mode is paced like a microphone", async () => {
  await using dir = await tempDir();
  await Deno.writeFile(`${dir.path}/a.wav`, encodeWav(new Float32Array(8000), 16000));
  const t0 = performance.now();
  await collect(wavSource(`${dir.path}/a.wav`, { realtime: true }));
  assert.ok(performance.now() - t0 >= 400, "0.5 s of audio took less than 0.4 s");
});

Deno.test("raw PCM source: chunks split inside samples and frames decode correctly", async () => {
  const pcm = new Uint8Array(8);
  const v = new DataView(pcm.buffer);
  [1000, 3000, -2000, -4000].forEach((s, i) => v.setInt16(i * 2, s, true)); // 2 stereo frames
  const chunks = [pcm.subarray(0, 1), pcm.subarray(1, 3), pcm.subarray(3, 7), pcm.subarray(7)];
  const states: (string | undefined)[] = [];
  const got = await collect(
    pcmSource(streamOf(chunks), { rate: 16000, channels: 2, report: (e) => states.push(e.reason) }),
  );
  assert.deepEqual([...got], [2000 / 32768, -3000 / 32768]);
  assert.deepEqual(states, [undefined, undefined]);
});

Deno.test("raw PCM source: a trailing partial frame is reported, not turned into noise", async () => {
  const reasons: (string | undefined)[] = [];
  const got = await collect(
    pcmSource(streamOf([Uint8Array.from([0, 64, 7])]), {
      rate: 16000,
      report: (e) => reasons.push(e.reason),
    }),
  );
  assert.deepEqual([...got], [0.5]);
  assert.match(reasons[1]!, /ignored 1 trailing bytes/);
  assert.throws(() => new S16Decoder(0), /channels must be a positive integer/);
});

Deno.test("microphone: a missing arecord binary is a clear error", async () => {
  await assert.rejects(
    collect(micSource({ device: "default", rate: 16000, arecord: "/nonexistent/arecord" })),
    (e: Error) =>
      e instanceof SourceError && /arecord not found: install alsa-utils/.test(e.message),
  );
});

Deno.test("microphone: a missing ALSA device is a clear error carrying arecord's message", async () => {
  await assert.rejects(
    collect(micSource({ device: "hw:7,0", rate: 16000 })),
    (e: Error) => {
      assert.ok(e instanceof SourceError);
      assert.match(
        e.message,
        /arecord -D hw:7,0 exited \(code 1\) before any audio: .*audio open error/,
      );
      return true;
    },
  );
});

Deno.test("microphone: real arecord that keeps exiting is restarted with growing backoff", async () => {
  await using dir = await tempDir();
  // Real arecord on ALSA's null device, cut after 3200 samples (0.2 s) each run.
  const wrapper = `${dir.path}/arecord-short`;
  await Deno.writeTextFile(wrapper, '#!/bin/sh\nexec arecord "$@" -s 3200\n');
  await Deno.chmod(wrapper, 0o755);
  const events: { state: string; reason?: string }[] = [];
  const got = await collect(
    micSource({
      device: "null",
      rate: 16000,
      arecord: wrapper,
      restartMinMs: 20,
      restartMaxMs: 1000,
      maxRestarts: 3,
      report: (e) => events.push({ state: e.state, reason: e.reason }),
    }),
  );
  assert.equal(got.length, 4 * 3200);
  const retries = events.filter((e) => e.reason?.includes("retry in")).map((e) => e.reason!);
  assert.equal(retries.length, 3);
  assert.deepEqual(retries.map((r) => Number(/retry in (\d+) ms/.exec(r)![1])), [20, 40, 80]);
  assert.equal(events[0].state, "started");
  assert.equal(events.at(-1)!.state, "ended");
});

Deno.test("microphone: aborting stops capture promptly", async () => {
  const abort = new AbortController();
  let n = 0;
  const t0 = performance.now();
  for await (const _ of micSource({ device: "null", rate: 16000, signal: abort.signal })) {
    if (++n === 5) abort.abort();
  }
  assert.ok(n >= 5);
  assert.ok(performance.now() - t0 < 5000);
});
