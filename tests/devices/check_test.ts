import assert from "node:assert/strict";

const script = new URL("../../devices/check.ts", import.meta.url).pathname;
const example = new URL("../../devices/example.devices.json", import.meta.url).pathname;

async function run(...args: string[]) {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-env", script, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: r.code,
    out: new TextDecoder().decode(r.stdout),
    err: new TextDecoder().decode(r.stderr),
  };
}

Deno.test("devices/check.ts: a valid registry prints devices, grammar size, samples and parses", async () => {
  const r = await run(
    example,
    "--samples",
    "3",
    "--area",
    "kitchen",
    "--text",
    "turn on the lights",
    "--text",
    "sing",
  );
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /: ok\n/);
  assert.match(
    r.out,
    /device kitchen_light: "kitchen light" light \[onoff, brightness, colorTemp\] area=kitchen adapter=zigbee2mqtt/,
  );
  assert.match(r.out, /grammar: \d+ states, \d+ words, \d+ sentences/);
  assert.equal(r.out.match(/^sample: /gm)?.length, 3);
  assert.match(
    r.out,
    /text: "turn on the lights" -> \{"name":"TurnOn","slots":\{"domain":"light","area":"kitchen"\}/,
  );
  assert.match(r.out, /text: "sing" -> not understood/);
});

Deno.test("devices/check.ts: invalid files and arguments exit 2 with the problem", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(
    `${dir}/bad.json`,
    JSON.stringify({ devices: [{ name: "x", type: "light", adapter: { type: "zigbee" } }] }),
  );
  const bad = await run(`${dir}/bad.json`);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /bad\.json: devices\[0\]\.adapter: unknown "zigbee"/);
  const missing = await run(`${dir}/none.json`);
  assert.equal(missing.code, 2);
  assert.match(missing.err, /none\.json: cannot read device registry/);
  assert.equal((await run()).code, 2);
  assert.equal((await run(example, "--samples", "x")).code, 2);
  const area = await run(example, "--area", "attic");
  assert.equal(area.code, 2);
  assert.match(area.err, /--area: unknown area "attic"/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("devices/check.ts --sentences: which sentences would act, on what, and why not", async () => {
  const dir = await Deno.makeTempDir();
  const home = new URL("../fixtures/phrasing/home.devices.json", import.meta.url).pathname;
  await Deno.writeTextFile(
    `${dir}/mine.txt`,
    [
      "# what we say at home",
      "turn on the lights",
      "turn the study reading lamp off",
      "turn on the ceiling fan",
      "turn the lights on in the attic",
      "",
      "sing me a song",
      "turn on the flor lamp",
    ].join("\n"),
  );
  const r = await run(
    home,
    "--samples",
    "0",
    "--area",
    "kitchen",
    "--sentences",
    `${dir}/mine.txt`,
  );
  assert.equal(r.code, 0, r.err);
  const lines = r.out.split("\n");
  const has = (re: RegExp) => assert.ok(lines.some((l) => re.test(l)), `${re}\n${r.out}`);
  has(/^acts: "turn on the lights" -> TurnOn .* on kitchen_ceiling_light, counter_lights$/);
  has(/^acts: "turn the study reading lamp off" -> TurnOff .* on reading_lamp$/);
  has(
    /^no action: "turn on the ceiling fan" -> TurnOn \{"name":"ceiling fan"\}: which ceiling fan\? there is one in the study and one in the guest room, and none in the kitchen/,
  );
  has(/^no action: "turn the lights on in the attic" -> .*: no lights in the attic$/);
  has(/^not understood: "sing me a song": no sentence of the grammar is close$/);
  // A typo still acts, with its confidence shown.
  has(
    /^acts: "turn on the flor lamp" -> TurnOn \{"device":"floor_lamp"\} \(confidence 0\.\d+\) on floor_lamp$/,
  );
  has(/^coverage: 3 of 6 would act, 2 understood without action, 1 not understood$/);
  const missing = await run(home, "--sentences", `${dir}/none.txt`);
  assert.equal(missing.code, 2);
  assert.match(missing.err, /none\.txt: cannot read sentences/);
  await Deno.remove(dir, { recursive: true });
});
