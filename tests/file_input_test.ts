/**
 * `earshot run --input` as a real process on inputs that used to blow up: a 20-minute WAV (peak
 * RSS must not grow with the file), /dev/zero, a FIFO without a writer and an endless recorder
 * on a FIFO (SIGTERM must stop both within 2 s).
 */
import assert from "node:assert/strict";
import { sox, tempDir } from "./helpers/audio.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const PERMS = [
  "--allow-read",
  "--allow-env",
  `--allow-ffi=${ROOT}node_modules`,
  "--allow-sys",
  "--allow-net",
  "--allow-run",
  `--allow-write=${ROOT}.earshot`,
];

function spawnRun(args: string[]) {
  return new Deno.Command(Deno.execPath(), {
    // As deno.json's run task starts it (a 2 MB V8 young generation).
    args: [
      "run",
      "--v8-flags=--max-semi-space-size=2,--optimize-for-size",
      ...PERMS,
      `${ROOT}main.ts`,
      "run",
      ...args,
    ],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Peak resident memory (VmHWM, MB) of a child, polled from /proc until it exits. */
async function peakRssMb(child: Deno.ChildProcess): Promise<{ mb: number; code: number }> {
  let peak = 0;
  let done = false;
  const status = child.status.then((s) => (done = true, s));
  const out = child.stdout.pipeTo(new WritableStream());
  const err = new Response(child.stderr).text();
  while (!done) {
    // Deno reads /proc only with --allow-all; `cat` (--allow-run) reads it for us.
    const r = await new Deno.Command("cat", {
      args: [`/proc/${child.pid}/status`],
      stderr: "null",
    }).output();
    const kb = Number(new TextDecoder().decode(r.stdout).match(/VmHWM:\s+(\d+) kB/)?.[1] ?? 0);
    peak = Math.max(peak, kb / 1024);
    await new Promise((r) => setTimeout(r, 50));
  }
  const s = await status;
  await out;
  assert.equal(s.code, 0, await err);
  return { mb: peak, code: s.code };
}

Deno.test("a 20-minute WAV peaks within a few MB of a 1-minute one (the file is not held)", async () => {
  await using dir = await tempDir();
  const short = `${dir.path}/1min.wav`;
  const long = `${dir.path}/20min.wav`;
  // Quiet noise: the front end, energy gate and wake word run on every frame.
  for (const [path, seconds] of [[short, 60], [long, 1200]] as const) {
    await sox(
      "-n",
      "-r",
      "16000",
      "-b",
      "16",
      "-c",
      "1",
      path,
      "synth",
      String(seconds),
      "whitenoise",
      "vol",
      "0.01",
    );
  }
  const a = await peakRssMb(spawnRun(["--input", short, "--json"]));
  const b = await peakRssMb(spawnRun(["--input", long, "--json"]));
  assert.ok(a.mb > 50 && b.mb > 50, "peak RSS was read");
  console.log(`peak RSS: 1 min ${a.mb.toFixed(0)} MB, 20 min ${b.mb.toFixed(0)} MB`);
  // Holding the 20-minute file (38 MB of PCM, 77 MB as float) would add over 100 MB; the heap
  // itself wanders by a few MB from run to run.
  assert.ok(b.mb - a.mb < 40, `peak RSS grew from ${a.mb.toFixed(0)} to ${b.mb.toFixed(0)} MB`);
});

Deno.test("--input /dev/zero: a clear error at once, not an endless read", async () => {
  const t0 = performance.now();
  const out = await spawnRun(["--input", "/dev/zero", "--json"]).output();
  assert.equal(out.code, 1);
  assert.match(new TextDecoder().decode(out.stderr), /\/dev\/zero: not a WAV file/);
  assert.ok(performance.now() - t0 < 15000);
});

async function mkfifo(path: string) {
  assert.ok((await new Deno.Command("mkfifo", { args: [path] }).output()).success);
}

async function readUntil(
  reader: ReadableStreamDefaultReader<string>,
  re: RegExp,
  ms = 15000,
): Promise<string> {
  let text = "";
  const deadline = Date.now() + ms;
  while (!re.test(text)) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`no ${re} within ${ms} ms in:\n${text}`);
    const r = await Promise.race([
      reader.read(),
      new Promise<{ done: true; value: undefined }>((res) =>
        setTimeout(() => res({ done: true, value: undefined }), left)
      ),
    ]);
    if (r.done) continue;
    text += r.value;
  }
  return text;
}

Deno.test("--input FIFO without a writer: says it waits, and SIGTERM stops it within 2 s", async () => {
  await using dir = await tempDir();
  const fifo = `${dir.path}/in.wav`;
  await mkfifo(fifo);
  const child = spawnRun(["--input", fifo, "--json"]);
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const text = await readUntil(reader, /"state":"waiting"/);
  const waiting = JSON.parse(text.trim().split("\n").find((l) => l.includes('"waiting"'))!);
  assert.equal(waiting.reason, `FIFO ${fifo}: waiting for a writer`);
  const t0 = performance.now();
  child.kill("SIGTERM");
  const status = await child.status;
  const ms = performance.now() - t0;
  reader.releaseLock();
  await child.stdout.cancel().catch(() => {});
  const stderr = await new Response(child.stderr).text();
  assert.ok(ms < 2000, `stopped in ${ms.toFixed(0)} ms`);
  assert.equal(status.code, 0, stderr);
  assert.doesNotMatch(stderr, /^\s+at /m);
});

Deno.test("--input FIFO with an endless recorder: streams, and SIGTERM stops it within 2 s", async () => {
  await using dir = await tempDir();
  const fifo = `${dir.path}/rec.wav`;
  await mkfifo(fifo);
  // arecord -t wav to a pipe: unknown data size, then samples without end (here: sox noise).
  const writer = new Deno.Command("bash", {
    args: [
      "-c",
      `exec sox -q -n -r 16000 -b 16 -c 1 -t wav '${fifo}' synth 86400 whitenoise vol 0.01`,
    ],
    stderr: "null",
  }).spawn();
  const child = spawnRun(["--input", fifo, "--json", "--levels"]);
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  await readUntil(reader, /"type":"level"[^\n]*\n(.*\n){20}/);
  const t0 = performance.now();
  child.kill("SIGTERM");
  const status = await child.status;
  const ms = performance.now() - t0;
  reader.releaseLock();
  await child.stdout.cancel().catch(() => {});
  const stderr = await new Response(child.stderr).text();
  writer.kill("SIGKILL"); // sox traps SIGTERM to rewrite its header
  await writer.status;
  assert.ok(ms < 2000, `stopped in ${ms.toFixed(0)} ms`);
  assert.equal(status.code, 0, stderr);
});
