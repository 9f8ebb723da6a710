import assert from "node:assert/strict";
import { decodeWav, encodeWav, openWavStream, readWav, WavError } from "../../audio/wav.ts";
import { RECORDINGS, sox, tempDir, tone } from "../helpers/audio.ts";

/** Build a WAV byte by byte: chunks are [id, bytes]. */
function riff(chunks: [string, Uint8Array][], head = "RIFF", form = "WAVE"): Uint8Array {
  const parts: number[] = [];
  const push4 = (s: string) => parts.push(...[...s].map((c) => c.charCodeAt(0)));
  const u32 = (n: number) => parts.push(n & 255, (n >> 8) & 255, (n >> 16) & 255, (n >>> 24) & 255);
  push4(head);
  u32(0);
  push4(form);
  for (const [id, body] of chunks) {
    push4(id);
    u32(body.length);
    parts.push(...body);
    if (body.length & 1) parts.push(0);
  }
  const out = Uint8Array.from(parts);
  new DataView(out.buffer).setUint32(4, out.length - 8, true);
  return out;
}

function fmt(tag: number, channels: number, rate: number, bits: number, extra?: Uint8Array) {
  const b = new Uint8Array(16 + (extra ? 2 + extra.length : 0));
  const v = new DataView(b.buffer);
  v.setUint16(0, tag, true);
  v.setUint16(2, channels, true);
  v.setUint32(4, rate, true);
  v.setUint32(8, (rate * channels * bits) / 8, true);
  v.setUint16(12, (channels * bits) / 8, true);
  v.setUint16(14, bits, true);
  if (extra) {
    v.setUint16(16, extra.length, true);
    b.set(extra, 18);
  }
  return b;
}

function i16(values: number[]): Uint8Array {
  const b = new Uint8Array(values.length * 2);
  const v = new DataView(b.buffer);
  values.forEach((x, i) => v.setInt16(i * 2, x, true));
  return b;
}

Deno.test("16-bit PCM: samples scale to [-1, 1)", () => {
  const wav = decodeWav(
    riff([["fmt ", fmt(1, 1, 16000, 16)], ["data", i16([0, 16384, -32768, 32767])]]),
  );
  assert.equal(wav.sampleRate, 16000);
  assert.deepEqual([...wav.samples], [0, 0.5, -1, 32767 / 32768]);
});

Deno.test("stereo is downmixed to the channel average", () => {
  const wav = decodeWav(
    riff([["fmt ", fmt(1, 2, 8000, 16)], ["data", i16([16384, 0, -16384, -16384])]]),
  );
  assert.equal(wav.channels, 2);
  assert.deepEqual([...wav.samples], [0.25, -0.5]);
});

Deno.test("8-bit PCM is unsigned with 128 as zero", () => {
  const wav = decodeWav(
    riff([["fmt ", fmt(1, 1, 8000, 8)], ["data", Uint8Array.from([128, 255, 0, 64])]]),
  );
  assert.deepEqual([...wav.samples], [0, 127 / 128, -1, -0.5]);
});

Deno.test("24-bit PCM decodes sign-extended little-endian triples", () => {
  const data = Uint8Array.from([0, 0, 0x40, 0, 0, 0xc0, 0xff, 0xff, 0x7f]);
  const wav = decodeWav(riff([["fmt ", fmt(1, 1, 48000, 24)], ["data", data]]));
  assert.deepEqual([...wav.samples], [0.5, -0.5, 8388607 / 8388608].map(Math.fround));
});

Deno.test("32-bit float: NaN and infinities become silence, out-of-range values clip", () => {
  const data = new Uint8Array(16);
  const v = new DataView(data.buffer);
  [0.25, NaN, Infinity, -3].forEach((x, i) => v.setFloat32(i * 4, x, true));
  const wav = decodeWav(riff([["fmt ", fmt(3, 1, 16000, 32)], ["data", data]]));
  assert.deepEqual([...wav.samples], [0.25, 0, 0, -1]);
  assert.equal(wav.encoding, "float");
});

Deno.test("WAVE_FORMAT_EXTENSIBLE takes the codec from the SubFormat GUID", () => {
  const ext = new Uint8Array(22);
  const v = new DataView(ext.buffer);
  v.setUint16(0, 16, true); // valid bits
  v.setUint32(2, 3, true); // channel mask
  v.setUint16(6, 1, true); // SubFormat: PCM
  const wav = decodeWav(
    riff([["fmt ", fmt(0xfffe, 2, 16000, 16, ext)], ["data", i16([100, 300])]]),
  );
  assert.equal(wav.samples.length, 1);
  assert.equal(wav.samples[0], 200 / 32768);
});

Deno.test("odd chunk layouts: odd-sized chunks are padded, unknown chunks skipped, any order", () => {
  const wav = decodeWav(
    riff([
      ["LIST", Uint8Array.from([1, 2, 3])], // odd size, padded
      ["fmt ", fmt(1, 1, 22050, 16)],
      ["fact", Uint8Array.from([4, 0, 0, 0])],
      ["data", i16([1000, -1000])],
      ["id3 ", Uint8Array.from([9])],
    ]),
  );
  assert.equal(wav.sampleRate, 22050);
  assert.deepEqual([...wav.samples], [1000 / 32768, -1000 / 32768].map(Math.fround));
});

Deno.test("streamed WAV with an unknown data length (0xFFFFFFFF) reads to the end", () => {
  const bytes = riff([["fmt ", fmt(1, 1, 16000, 16)], ["data", i16([5, 6, 7])]]);
  new DataView(bytes.buffer).setUint32(40, 0xffffffff, true);
  assert.equal(decodeWav(bytes).samples.length, 3);
});

Deno.test("bad files: clear errors naming the file and the problem", async (t) => {
  const cases: [string, Uint8Array, RegExp][] = [
    [
      "not a WAV",
      new TextEncoder().encode("ID3\u0004 this is an mp3 really"),
      /clip\.wav: not a WAV file/,
    ],
    ["too short", Uint8Array.from([82, 73]), /clip\.wav: not a WAV file \(only 2 bytes\)/],
    ["RIFX", riff([["fmt ", fmt(1, 1, 8000, 16)]], "RIFX"), /big-endian RIFX/],
    [
      "mu-law",
      riff([["fmt ", fmt(7, 1, 8000, 8)], ["data", new Uint8Array(4)]]),
      /unsupported codec mu-law/,
    ],
    ["MP3 in WAV", riff([["fmt ", fmt(0x55, 1, 8000, 8)]]), /unsupported codec MP3/],
    ["zero channels", riff([["fmt ", fmt(1, 0, 8000, 16)]]), /absurd channel count 0/],
    ["absurd rate", riff([["fmt ", fmt(1, 1, 5, 16)]]), /absurd sample rate 5 Hz/],
    ["12-bit", riff([["fmt ", fmt(1, 1, 8000, 12)]]), /unsupported 12-bit integer/],
    ["no fmt", riff([["data", i16([1])]]), /data chunk before fmt/],
    ["no data", riff([["fmt ", fmt(1, 1, 8000, 16)]]), /no data chunk/],
    ["nothing", riff([]), /no fmt chunk/],
  ];
  for (const [name, bytes, re] of cases) {
    await t.step(name, () => {
      assert.throws(() => decodeWav(bytes, { name: "clip.wav" }), (e: Error) => {
        assert.ok(e instanceof WavError, `${name}: ${e}`);
        assert.match(e.message, re);
        assert.match(e.message, /^clip\.wav: /);
        return true;
      });
    });
  }
  await t.step("block align mismatch", () => {
    const f = fmt(1, 2, 8000, 16);
    new DataView(f.buffer).setUint16(12, 3, true);
    assert.throws(
      () => decodeWav(riff([["fmt ", f]]), { name: "x.wav" }),
      /block align 3 does not match/,
    );
  });
  await t.step("truncated data chunk", () => {
    const bytes = riff([["fmt ", fmt(1, 1, 8000, 16)], ["data", i16([1, 2, 3, 4])]]);
    assert.throws(
      () => decodeWav(bytes.subarray(0, bytes.length - 3), { name: "cut.wav" }),
      /cut\.wav: truncated: data chunk declares 8 bytes but only 5 are present/,
    );
  });
  await t.step("absurd duration", () => {
    const bytes = riff([["fmt ", fmt(1, 1, 8000, 16)], ["data", new Uint8Array(32000)]]);
    assert.throws(() => decodeWav(bytes, { name: "long.wav", maxSeconds: 1 }), /exceeds the limit/);
  });
  await t.step("missing file", async () => {
    await assert.rejects(readWav("/nonexistent/a.wav"), /\/nonexistent\/a\.wav: cannot read/);
  });
});

Deno.test("real files written by sox in every supported encoding decode to the same audio", async () => {
  await using dir = await tempDir();
  const src = `${dir.path}/src.wav`;
  await Deno.writeFile(src, encodeWav(tone(440, 16000, 0.5, 0.4), 16000));
  const ref = (await readWav(src)).samples;
  const variants: [string, string[]][] = [
    ["u8", ["-e", "unsigned-integer", "-b", "8"]],
    ["s24", ["-e", "signed-integer", "-b", "24"]],
    ["s32", ["-e", "signed-integer", "-b", "32"]],
    ["f32", ["-e", "floating-point", "-b", "32"]],
    ["f64", ["-e", "floating-point", "-b", "64"]],
    ["4ch-extensible", ["-b", "16", "-c", "4"]],
  ];
  for (const [name, args] of variants) {
    const path = `${dir.path}/${name}.wav`;
    await sox(src, ...args, path);
    const wav = await readWav(path);
    assert.equal(wav.samples.length, ref.length, name);
    const tol = name === "u8" ? 1 / 64 : 1e-4;
    for (let i = 0; i < ref.length; i += 97) {
      assert.ok(Math.abs(wav.samples[i] - ref[i]) < tol, `${name} sample ${i}`);
    }
  }
});

Deno.test("a real recording from pocketsphinx-testdata decodes", async () => {
  const wav = await readWav(RECORDINGS.librivox);
  assert.equal(wav.sampleRate, 16000);
  assert.ok(wav.samples.length > 16000);
});

Deno.test("encodeWav round-trips through decodeWav", () => {
  const x = tone(1000, 8000, 0.1, 0.5);
  const back = decodeWav(encodeWav(x, 8000, 32)).samples;
  assert.deepEqual([...back], [...x]);
});

/** All chunks of a streamed WAV, joined. */
async function streamAll(path: string, chunkFrames: number): Promise<Float32Array> {
  const wav = await openWavStream(path, { chunkFrames });
  const parts: Float32Array[] = [];
  for await (const c of wav!.chunks()) {
    assert.ok(c.length <= chunkFrames, `chunk of ${c.length} frames > ${chunkFrames}`);
    parts.push(c);
  }
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) (out.set(p, o), o += p.length);
  return out;
}

Deno.test("openWavStream: chunked reading gives decodeWav's samples, at any chunk size", async () => {
  await using dir = await tempDir();
  const files: [string, Uint8Array][] = [
    ["mono16.wav", encodeWav(tone(440, 16000, 0.5), 16000)],
    ["float.wav", encodeWav(tone(300, 22050, 0.3), 22050, 32)],
    [
      "odd.wav",
      riff([
        ["LIST", Uint8Array.from([1, 2, 3])],
        ["fmt ", fmt(1, 2, 8000, 16)],
        ["data", Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])],
        ["id3 ", Uint8Array.from([9])],
      ]),
    ],
  ];
  const unknown = riff([["fmt ", fmt(1, 1, 16000, 16)], ["data", i16([5, 6, 7, 8, 9])]]);
  new DataView(unknown.buffer).setUint32(40, 0xffffffff, true);
  files.push(["unknown.wav", unknown]);
  for (const [name, bytes] of files) {
    const path = `${dir.path}/${name}`;
    await Deno.writeFile(path, bytes);
    const whole = decodeWav(bytes).samples;
    for (const frames of [1, 3, 1000, 8192]) {
      assert.deepEqual(await streamAll(path, frames), whole, `${name} in ${frames}-frame chunks`);
    }
  }
});

Deno.test("openWavStream: bad files give the same errors, naming the path", async () => {
  await using dir = await tempDir();
  const truncated = riff([["fmt ", fmt(1, 1, 8000, 16)], ["data", i16([1, 2, 3, 4])]]);
  const cases: [string, Uint8Array, RegExp][] = [
    ["text", new TextEncoder().encode("ID3\u0004 this is an mp3 really"), /not a WAV file/],
    ["short", Uint8Array.from([82, 73]), /not a WAV file \(only 2 bytes\)/],
    ["mulaw", riff([["fmt ", fmt(7, 1, 8000, 8)], ["data", new Uint8Array(4)]]), /mu-law/],
    ["rate", riff([["fmt ", fmt(1, 1, 5, 16)]]), /absurd sample rate 5 Hz/],
    ["nodata", riff([["fmt ", fmt(1, 1, 8000, 16)]]), /no data chunk/],
    ["nothing", riff([]), /no fmt chunk/],
    ["cut", truncated.subarray(0, truncated.length - 3), /truncated: data chunk declares 8 bytes/],
    [
      "frames",
      riff([["fmt ", fmt(1, 2, 8000, 16)], ["data", i16([1, 2, 3])]]),
      /data chunk size 6 is not a multiple of the frame size 4/,
    ],
  ];
  for (const [name, bytes, re] of cases) {
    const path = `${dir.path}/${name}.wav`;
    await Deno.writeFile(path, bytes);
    await assert.rejects(() => streamAll(path, 1000), (e: Error) => {
      assert.ok(e instanceof WavError, `${name}: ${e}`);
      assert.match(e.message, re);
      assert.ok(e.message.startsWith(`${path}: `), e.message);
      return true;
    });
  }
  await assert.rejects(() => openWavStream(dir.path), /: cannot read: is a directory/);
  await assert.rejects(() => openWavStream("/nonexistent/a.wav"), /a\.wav: cannot read/);
  // An endless device that is no WAV fails at once instead of being read forever.
  await assert.rejects(() => openWavStream("/dev/zero"), /\/dev\/zero: not a WAV file/);
  const long = riff([["fmt ", fmt(1, 1, 8000, 16)], ["data", new Uint8Array(32000)]]);
  await Deno.writeFile(`${dir.path}/long.wav`, long);
  await assert.rejects(
    () => openWavStream(`${dir.path}/long.wav`, { maxSeconds: 1 }),
    /exceeds the limit of 1 s/,
  );
});

async function mkfifo(path: string) {
  const r = await new Deno.Command("mkfifo", { args: [path] }).output();
  assert.ok(r.success, "mkfifo");
}

Deno.test("openWavStream: a FIFO without a writer is reported, and an abort ends the wait", async () => {
  await using dir = await tempDir();
  const fifo = `${dir.path}/in.wav`;
  await mkfifo(fifo);
  const abort = new AbortController();
  const waits: string[] = [];
  const opening = openWavStream(fifo, {
    signal: abort.signal,
    waitNoticeMs: 100,
    onWaiting: (r) => waits.push(r),
  });
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(waits, [`FIFO ${fifo}: waiting for a writer`]);
  const t0 = performance.now();
  abort.abort();
  assert.equal(await opening, null);
  assert.ok(performance.now() - t0 < 200);
  // Release the blocked open() of the abandoned read so the test leaks no pending op.
  const w = await Deno.open(fifo, { write: true });
  w.close();
});

Deno.test("openWavStream: an endless recorder on a FIFO streams until aborted", async () => {
  await using dir = await tempDir();
  const fifo = `${dir.path}/rec.wav`;
  await mkfifo(fifo);
  // What `arecord -t wav` writes to a pipe: data size 0xFFFFFFFF, then samples forever.
  const writer = new Deno.Command("bash", {
    args: [
      "-c",
      `exec > '${fifo}'; printf 'RIFF\\xff\\xff\\xff\\xffWAVEfmt \\x10\\x00\\x00\\x00\\x01\\x00\\x01\\x00' ;` +
      `printf '\\x80\\x3e\\x00\\x00\\x00\\x7d\\x00\\x00\\x02\\x00\\x10\\x00data\\xff\\xff\\xff\\xff';` +
      `exec cat /dev/zero`,
    ],
  }).spawn();
  const abort = new AbortController();
  const wav = await openWavStream(fifo, { signal: abort.signal, chunkFrames: 16000 });
  assert.equal(wav!.format.sampleRate, 16000);
  assert.equal(wav!.regular, false);
  assert.equal(wav!.dataBytes, null);
  let frames = 0;
  for await (const c of wav!.chunks()) {
    frames += c.length;
    if (frames >= 16000 * 600) abort.abort(); // 10 minutes of audio, in 1 s chunks
  }
  assert.ok(frames >= 16000 * 600 && frames < 16000 * 602, `${frames} frames`);
  writer.kill();
  await writer.status;
});
