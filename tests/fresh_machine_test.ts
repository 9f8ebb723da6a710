/**
 * What a new user gets on a machine with only Deno and the npm packages: no espeak-ng on PATH
 * and no PocketSphinx dictionary (Debian's /usr/share/pocketsphinx is hidden under an empty
 * tmpfs in a private mount namespace when the test runs as root, as CI does).
 */
import assert from "node:assert/strict";
import { tempDir } from "./helpers/audio.ts";
import { unexpectedFailure } from "../main.ts";

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
const POCKETSPHINX = "/usr/share/pocketsphinx";

/** A PATH holding only `deno` (no espeak-ng, arecord, mosquitto). */
async function denoOnlyPath(dir: string): Promise<string> {
  const bin = `${dir}/bin`;
  await Deno.mkdir(bin, { recursive: true });
  await Deno.symlink(Deno.execPath(), `${bin}/deno`);
  return bin;
}

async function canHide(): Promise<boolean> {
  try {
    await Deno.stat(POCKETSPHINX);
  } catch {
    return false; // nothing to hide
  }
  const probe = await new Deno.Command("/usr/bin/unshare", {
    args: ["-m", "/bin/sh", "-c", `/bin/mount -t tmpfs none ${POCKETSPHINX}`],
    stdout: "null",
    stderr: "null",
  }).output().catch(() => ({ success: false }));
  return probe.success;
}

/** `earshot ARGS` with PATH = deno only and, where possible, no PocketSphinx files. */
async function freshEarshot(args: string[]) {
  await using tmp = await tempDir();
  const bin = await denoOnlyPath(tmp.path);
  const deno = ["deno", "run", ...PERMS, `${ROOT}main.ts`, ...args].map((a) => `'${a}'`).join(" ");
  const hide = await canHide();
  const script = hide ? `/bin/mount -t tmpfs none ${POCKETSPHINX} && exec ${deno}` : `exec ${deno}`;
  const out = await new Deno.Command(hide ? "/usr/bin/unshare" : "/bin/sh", {
    args: hide ? ["-m", "/bin/sh", "-c", script] : ["-c", script],
    cwd: ROOT,
    env: { PATH: bin },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    hidden: hide,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

Deno.test("fresh machine: the demo confirms a command, no warning, no stack trace", async () => {
  const r = await freshEarshot(["demo"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /heard "turn on the kitchen light"/);
  assert.match(r.stdout, /confirmed kitchen_light/);
  const warnings = r.stderr.split("\n").filter((l) => /warning/i.test(l));
  assert.ok(warnings.length <= 1, `at most one warning line:\n${r.stderr}`);
  assert.deepEqual(warnings, [], "the example home's words are all in the bundled cmudict");
  assert.doesNotMatch(r.stderr + r.stdout, /^\s+at /m, "no stack trace");
});

Deno.test("fresh machine: a device word outside cmudict without espeak-ng is a config error naming it", async () => {
  await using tmp = await tempDir();
  const registry = JSON.parse(await Deno.readTextFile(`${ROOT}devices/example.devices.json`));
  delete registry.$schema;
  registry.devices.push({
    name: "zorblax lamp",
    area: "office",
    type: "light",
    adapter: { type: "tasmota", topic: "zorblax" },
  }, {
    name: "quibbix fan",
    area: "office",
    type: "plug",
    adapter: { type: "tasmota", topic: "quibbix" },
  });
  const file = `${tmp.path}/devices.json`;
  await Deno.writeTextFile(file, JSON.stringify(registry));
  const r = await freshEarshot(["demo", "--devices", file]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /invalid configuration/);
  assert.match(r.stderr, /no pronunciation for quibbix, zorblax: not in cmudict, and espeak-ng/);
  assert.match(r.stderr, /asr\.pronunciations/);
  assert.doesNotMatch(r.stderr, /^\s+at /m, "no stack trace");
});

Deno.test("fresh machine: a bad asr.pronunciations entry is a config error (exit 2)", async () => {
  await using tmp = await tempDir();
  const file = `${tmp.path}/c.json`;
  await Deno.writeTextFile(file, JSON.stringify({ asr: { pronunciations: { kitchen: "K QQ" } } }));
  const r = await freshEarshot(["demo", "--config", file]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /asr\.pronunciations\.kitchen(\[0\])?: unknown phone "QQ"/);
  assert.doesNotMatch(r.stderr, /^\s+at /m);
});

Deno.test("unexpected failure: one line; the stack only with --debug", () => {
  const err = new TypeError("cannot read x\nsecond line");
  const line = unexpectedFailure(err, false);
  assert.equal(
    line,
    "earshot: unexpected failure: TypeError: cannot read x (run again with --debug for the stack)",
  );
  assert.equal(line.split("\n").length, 1);
  const debug = unexpectedFailure(err, true);
  assert.match(debug, /TypeError: cannot read x\nsecond line\n\s+at /);
  assert.equal(unexpectedFailure("boom", false).split("\n").length, 1);
});

Deno.test("--debug is accepted by every command line", async () => {
  const r = await freshEarshot(["run", "--debug", "--input", "/nonexistent.wav"]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /nonexistent\.wav/);
});
