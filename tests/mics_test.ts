/**
 * `earshot mics` as a real process with a fake `arecord` on the config's path: it lists the
 * devices `arecord -l` prints, records `--seconds` from the chosen device with a meter line per
 * 100 ms and ends with the verdict.
 */
import assert from "node:assert/strict";
import { parseArecordList } from "../audio/mics.ts";
import { tempDir, tone } from "./helpers/audio.ts";

const ROOT = new URL("..", import.meta.url).pathname;

const LIST = `**** List of CAPTURE Hardware Devices ****
card 1: Device [USB PnP Sound Device], device 0: USB Audio [USB Audio]
  Subdevices: 1/1
  Subdevice #0: subdevice #0
card 2: seeed2micvoicec [seeed-2mic-voicecard], device 0: bcm2835-i2s-wm8960-hifi wm8960-hifi-0 [bcm2835-i2s-wm8960-hifi wm8960-hifi-0]
  Subdevices: 1/1
`;

Deno.test("parseArecordList: cards and devices become plughw names", () => {
  assert.deepEqual(parseArecordList(LIST), [
    {
      card: 1,
      device: 0,
      cardName: "USB PnP Sound Device",
      deviceName: "USB Audio",
      alsa: "plughw:1,0",
    },
    {
      card: 2,
      device: 0,
      cardName: "seeed-2mic-voicecard",
      deviceName: "bcm2835-i2s-wm8960-hifi wm8960-hifi-0",
      alsa: "plughw:2,0",
    },
  ]);
  assert.deepEqual(parseArecordList("arecord: device_list:274: no soundcards found...\n"), []);
});

/** A fake arecord: `-l` prints LIST; a recording plays `raw` (s16le 16 kHz) for -d seconds. */
async function fakeArecord(dir: string, raw: Uint8Array): Promise<string> {
  await Deno.writeFile(`${dir}/audio.raw`, raw);
  await Deno.writeTextFile(`${dir}/list.txt`, LIST);
  const path = `${dir}/arecord`;
  await Deno.writeTextFile(
    path,
    `#!/bin/bash
echo "$@" >> '${dir}/args.txt'
if [ "$1" = -l ]; then cat '${dir}/list.txt'; exit 0; fi
secs=1; dev=default
while [ $# -gt 0 ]; do case "$1" in -d) secs=$2; shift;; -D) dev=$2; shift;; esac; shift; done
[ "$dev" = plughw:9,0 ] && { echo "arecord: main:831: audio open error: No such file or directory" >&2; exit 1; }
head -c $((32000 * secs)) '${dir}/audio.raw'
`,
  );
  await Deno.chmod(path, 0o755);
  return path;
}

function s16(x: Float32Array): Uint8Array {
  const b = new Uint8Array(x.length * 2);
  const v = new DataView(b.buffer);
  x.forEach((s, i) => v.setInt16(i * 2, Math.round(Math.max(-1, Math.min(1, s)) * 32767), true));
  return b;
}

async function mics(dir: string, arecord: string, args: string[]) {
  const config = `${dir}/c.json`;
  await Deno.writeTextFile(config, JSON.stringify({ audio: { arecord } }));
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-env",
      `--allow-ffi=${ROOT}node_modules`,
      "--allow-sys",
      "--allow-run",
      `${ROOT}main.ts`,
      "mics",
      "--config",
      config,
      ...args,
    ],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

Deno.test("earshot mics: lists devices, meters 2 s from the chosen one, verdict ok", async () => {
  await using tmp = await tempDir();
  const arecord = await fakeArecord(tmp.path, s16(tone(300, 16000, 5, 0.2)));
  const r = await mics(tmp.path, arecord, ["--device", "plughw:1,0", "--seconds", "2"]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  assert.match(lines[1], /^ {2}plughw:1,0 +USB PnP Sound Device: USB Audio$/);
  assert.match(lines[2], /^ {2}plughw:2,0 +seeed-2mic-voicecard: /);
  const meters = lines.filter((l) => l.startsWith("["));
  assert.equal(meters.length, 20, "one meter line per 100 ms");
  assert.match(meters[0], /^\[#+\.+\] {2,}-17 dBFS$/);
  assert.match(lines.at(-1)!, /^plughw:1,0: OK: speech reached -17 dBFS/);
  const args = await Deno.readTextFile(`${tmp.path}/args.txt`);
  assert.match(args, /-D plughw:1,0 -f S16_LE -c 1 -r 16000 -t raw -d 2/);
});

Deno.test("earshot mics: a clipping input and a missing device", async () => {
  await using tmp = await tempDir();
  const arecord = await fakeArecord(tmp.path, s16(tone(300, 16000, 5, 3)));
  const clip = await mics(tmp.path, arecord, ["--seconds", "1"]);
  assert.equal(clip.code, 0, clip.stderr);
  assert.match(clip.stdout, /\]! +-?\d+ dBFS/);
  assert.match(
    clip.stdout.trim().split("\n").at(-1)!,
    /^default: CLIPPING: .*lower the capture gain/,
  );
  const missing = await mics(tmp.path, arecord, ["--device", "plughw:9,0", "--seconds", "1"]);
  assert.equal(missing.code, 1);
  assert.match(
    missing.stderr,
    /plughw:9,0 recorded nothing \(exit 1\): arecord: main:831: audio open error/,
  );
  const bad = await mics(tmp.path, arecord, ["--seconds", "600"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--seconds: at most 60/);
});
