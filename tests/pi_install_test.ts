/**
 * The Raspberry Pi runtime installer and service, checked as far as an x86 machine allows: the
 * dry run lists every step and changes nothing, the onnxruntime pruning keeps only linux/arm64 in
 * a copy of node_modules/onnxruntime-node (and is idempotent), the unit passes systemd-analyze
 * verify, and its ExecStart command line runs the assistant.
 */
import assert from "node:assert/strict";
import { tempDir } from "./helpers/audio.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const INSTALL = `${ROOT}/scripts/pi/install.sh`;

async function sh(cmd: string, args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(cmd, { args, env, stdin: "null" }).output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

async function listTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(d: string, rel: string) {
    for await (const e of Deno.readDir(d)) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) await walk(`${d}/${e.name}`, r);
      else out.push(r);
    }
  }
  await walk(dir, "");
  return out.sort();
}

Deno.test("install.sh --prune-only keeps only linux/arm64 of onnxruntime-node, twice the same", async () => {
  await using tmp = await tempDir();
  const ort = `${tmp.path}/onnxruntime-node`;
  const cp = await sh("cp", ["-rL", `${ROOT}/node_modules/onnxruntime-node`, ort]);
  assert.equal(cp.code, 0, cp.stderr);
  const before = await listTree(`${ort}/bin`);
  assert.ok(
    before.some((f) => f.includes("/win32/")) && before.some((f) => f.includes("/darwin/")),
  );
  const r = await sh("bash", [INSTALL, "--prune-only", ort, "--arch", "arm64"]);
  assert.equal(r.code, 0, r.stderr);
  const after = await listTree(`${ort}/bin`);
  assert.ok(after.length > 0);
  for (const f of after) assert.match(f, /^napi-v\d+\/linux\/arm64\//);
  assert.deepEqual(after, before.filter((f) => /\/linux\/arm64\//.test(f)));
  assert.match(r.stdout, /kept bin\/napi-v6\/linux\/arm64, removed [1-9]\d* other binaries/);
  // The rest of the package is untouched.
  assert.ok((await Deno.stat(`${ort}/package.json`)).isFile);
  const again = await sh("bash", [INSTALL, "--prune-only", ort, "--arch", "arm64"]);
  assert.equal(again.code, 0);
  assert.match(again.stdout, /removed 0 other binaries/);
  assert.deepEqual(await listTree(`${ort}/bin`), after);
  // Pruning for a machine whose binary is missing is an error, not an empty package.
  const none = await sh("bash", [INSTALL, "--prune-only", ort, "--arch", "x64"]);
  assert.notEqual(none.code, 0);
  assert.match(none.stderr, /no linux\/x64 binary/);
});

Deno.test("install.sh --dry-run prints every step and changes nothing", async () => {
  const ort = `${ROOT}/node_modules/onnxruntime-node/bin`;
  const before = await listTree(ort);
  const r = await sh("bash", [INSTALL, "--dry-run", "--arch", "arm64"]);
  assert.equal(r.code, 0, r.stderr);
  const out = r.stdout;
  assert.match(out, /dry run: nothing is changed/);
  assert.match(out, /machine linux\/arm64/);
  assert.match(
    out,
    /apt: alsa-utils, espeak-ng and node already installed|apt-get install .*(alsa-utils|espeak-ng)/,
  );
  // aplay (alsa-utils) and espeak-ng speak the answers (README "Answers").
  const script = await Deno.readTextFile(INSTALL);
  assert.match(script, /installed alsa-utils \|\| apt_missing\+=\(alsa-utils\)/);
  assert.match(script, /installed espeak-ng \|\| apt_missing\+=\(espeak-ng\)/);
  assert.match(out, /deno 2\.9\.6 already installed|npm install -g --silent deno@2\.9\.6/);
  assert.match(out, /would run: deno install --frozen/);
  assert.match(out, /would keep bin\/napi-v6\/linux\/arm64, would remove/);
  assert.match(out, /useradd --system .*--groups audio earshot|user earshot exists/);
  assert.match(out, /\/etc\/earshot\/config\.json/);
  assert.match(out, /earshot\.service/);
  assert.match(out, /systemctl enable --now earshot/);
  assert.deepEqual(await listTree(ort), before, "dry run removed nothing");
  const bad = await sh("bash", [INSTALL, "--bogus"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown option --bogus/);
});

/** The unit with this checkout's paths, as install.sh writes it. */
async function filledUnit(): Promise<string> {
  const text = await Deno.readTextFile(`${ROOT}/scripts/pi/earshot.service`);
  return text.replaceAll("@ROOT@", ROOT).replaceAll("@DENO@", Deno.execPath());
}

Deno.test("earshot.service: own user in group audio, restart on failure, state dir, journal", async () => {
  const unit = await filledUnit();
  for (
    const line of [
      "User=earshot",
      "SupplementaryGroups=audio",
      "Restart=on-failure",
      "RestartPreventExitStatus=2",
      "StateDirectory=earshot",
      "Environment=EARSHOT_API_TOKEN_FILE=/var/lib/earshot/token",
      "StandardOutput=journal",
      "WantedBy=multi-user.target",
    ]
  ) assert.ok(unit.split("\n").includes(line), `unit has ${line}`);
  assert.doesNotMatch(unit, /@ROOT@|@DENO@/);
  await using tmp = await tempDir();
  await Deno.writeTextFile(`${tmp.path}/earshot.service`, unit);
  const v = await sh("systemd-analyze", ["verify", `${tmp.path}/earshot.service`]);
  // "User earshot" may not exist on a test machine: that is the only complaint accepted.
  const complaints = (v.stdout + v.stderr).split("\n").filter((l) =>
    l.trim() && !/earshot\.service: .*(user|User).*earshot/.test(l)
  );
  assert.deepEqual(complaints, [], v.stdout + v.stderr);
});

Deno.test("earshot.service: its ExecStart command line runs the assistant", async () => {
  await using tmp = await tempDir();
  const unit = await filledUnit();
  const lines = unit.split("\n");
  // systemd expands ${NAME} from the unit's Environment= lines (EARSHOT_ALLOW_NET).
  const env = new Map(
    lines.filter((l) => l.startsWith("Environment=")).map((l) => {
      const [k, ...v] = l.slice("Environment=".length).split("=");
      return [k, v.join("=")] as const;
    }),
  );
  const exec = lines.find((l) => l.startsWith("ExecStart="))!.slice("ExecStart=".length)
    .replace(/\$\{(\w+)\}/g, (_, k) => env.get(k) ?? "");
  assert.match(exec, /--allow-net=127\.0\.0\.1,localhost,\[::1\] /, "loopback only by default");
  assert.match(exec, /--allow-run=arecord,aplay,espeak-ng,flite /);
  // Same binary, flags and permissions; the demo in place of `start` (no microphone here), the
  // state directory in a temporary one.
  const args = exec.replace("start --config /etc/earshot/config.json", "demo")
    .replaceAll("/var/lib/earshot", tmp.path).split(" ");
  const r = await sh(args[0], args.slice(1), {
    DENO_DIR: `${tmp.path}/deno`,
    EARSHOT_API_TOKEN_FILE: `${tmp.path}/token`,
    NO_COLOR: "1",
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /confirmed kitchen_light/);
});
