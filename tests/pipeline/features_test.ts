import assert from "node:assert/strict";
import { dumpFeatures } from "../../scripts/features.ts";
import { decodeNpy, encodeNpy } from "../../scripts/npy.ts";
import { mfccOfSignal } from "../../pipeline/mfcc.ts";
import { loadAudioFile } from "../../audio/load.ts";
import { RECORDINGS, tempDir } from "../helpers/audio.ts";

const DEMO = new URL("../../assets/demo.wav", import.meta.url).pathname;
const ASTERISK = `${RECORDINGS.asteriskDir}/activated.wav`;

Deno.test("dumped features equal the streaming extractor's, for 16 kHz and 8 kHz files", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir.path}/list.txt`, `# comment\n${DEMO}\n\n${ASTERISK}\n`);
  const n = await dumpFeatures(`${dir.path}/list.txt`, `${dir.path}/out`, { quiet: true });
  assert.equal(n, 2);
  const index = (await Deno.readTextFile(`${dir.path}/out/index.tsv`)).trim().split("\n");
  assert.equal(index.length, 2);
  for (const [i, wav] of [DEMO, ASTERISK].entries()) {
    const [path, npy, frames] = index[i].split("\t");
    assert.equal(path, wav);
    const dumped = decodeNpy(await Deno.readFile(npy));
    const live = mfccOfSignal(await loadAudioFile(wav));
    assert.deepEqual(dumped.shape, [live.frames, 13]);
    assert.equal(Number(frames), live.frames);
    assert.deepEqual(dumped.data, live.data);
  }
});

Deno.test("numpy reads the dumped features (shape, dtype and values)", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir.path}/list.txt`, `${DEMO}\n`);
  await dumpFeatures(`${dir.path}/list.txt`, dir.path, { quiet: true });
  const live = mfccOfSignal(await loadAudioFile(DEMO));
  const script = `import numpy as np, sys; a = np.load(sys.argv[1]); ` +
    `print(a.dtype, a.shape[0], a.shape[1], repr(float(a[10, 3])))`;
  const out = await new Deno.Command("/usr/bin/python3", {
    args: ["-c", script, `${dir.path}/0.npy`],
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const [dtype, rows, cols, value] = new TextDecoder().decode(out.stdout).trim().split(" ");
  assert.equal(dtype, "float32");
  assert.equal(Number(rows), live.frames);
  assert.equal(Number(cols), 13);
  assert.equal(Number(value), live.data[10 * 13 + 3]);
});

Deno.test("a bad line stops the dump naming list file and line; --skip-bad records it", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir.path}/notwav.wav`, "hello");
  await Deno.writeTextFile(`${dir.path}/list.txt`, `${DEMO}\n${dir.path}/notwav.wav\n`);
  await assert.rejects(
    dumpFeatures(`${dir.path}/list.txt`, `${dir.path}/o1`, { quiet: true }),
    /list\.txt:2: .*notwav\.wav: not a WAV file/,
  );
  const n = await dumpFeatures(`${dir.path}/list.txt`, `${dir.path}/o2`, {
    quiet: true,
    skipBad: true,
  });
  assert.equal(n, 1);
  const index = await Deno.readTextFile(`${dir.path}/o2/index.tsv`);
  assert.match(index, /notwav\.wav\t\t-1/);
});

Deno.test("npy: round trip, and bad files are refused", () => {
  const data = Float32Array.from([1, 2, 3, 4, 5, 6]);
  const back = decodeNpy(encodeNpy(data, [2, 3]));
  assert.deepEqual(back.shape, [2, 3]);
  assert.deepEqual(back.data, data);
  assert.throws(() => encodeNpy(data, [4, 2]), /holds 8 values, data has 6/);
  assert.throws(() => decodeNpy(new Uint8Array(20), "x.npy"), /x\.npy: not a \.npy file/);
  assert.throws(
    () => decodeNpy(encodeNpy(data, [6]).subarray(0, 80), "t.npy"),
    /t\.npy: truncated/,
  );
});
