/** The `answers` config section: every default of the voice back, and clear errors for bad values. */
import assert from "node:assert/strict";
import { ConfigError, DEFAULTS, loadConfig, parseConfig } from "../../core/config.ts";

Deno.test("answers: on by default, sounds and speech, engine auto, the default ALSA device", () => {
  assert.deepEqual(DEFAULTS.answers, {
    enabled: true,
    sounds: true,
    speech: true,
    engine: "auto",
    voice: "",
    rate: 170,
    device: "default",
    volume: 0.8,
    aplay: "aplay",
    espeak: "espeak-ng",
    flite: "flite",
    soundsDir: "assets/sounds",
    muteTailMs: 300,
    maxChars: 300,
  });
  const off = parseConfig({ answers: { enabled: false } });
  assert.equal(off.answers.enabled, false);
  assert.equal(off.answers.device, "default");
});

Deno.test("answers: bad values are refused naming the file and the field", async () => {
  const cases: [unknown, RegExp][] = [
    [{ engine: "festival" }, /answers\.engine: .*"auto".*"espeak-ng".*"flite".*"none"/],
    [{ enabled: "yes" }, /answers\.enabled: .*boolean/],
    [{ sounds: 1 }, /answers\.sounds: .*boolean/],
    [{ volume: 1.5 }, /answers\.volume: .*(<=1|1)/],
    [{ volume: -0.1 }, /answers\.volume: /],
    [{ device: "" }, /answers\.device: needs an ALSA device name/],
    [{ voice: "en; rm -rf /" }, /answers\.voice: a voice name .*letters, digits/],
    [{ rate: 20 }, /answers\.rate: /],
    [{ muteTailMs: 60000 }, /answers\.muteTailMs: at most 5000 ms/],
    [{ maxChars: 5 }, /answers\.maxChars: /],
    [{ loud: true }, /answers: .*loud/],
  ];
  for (const [answers, re] of cases) {
    assert.throws(() => parseConfig({ answers }, "earshot.json"), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /^earshot\.json: /);
      assert.match(err.message, re, JSON.stringify(answers));
      return true;
    });
  }
  const dir = await Deno.makeTempDir();
  const file = `${dir}/earshot.json`;
  await Deno.writeTextFile(file, JSON.stringify({ answers: { engine: "sam" } }));
  await assert.rejects(loadConfig({ file }), new RegExp(`^ConfigError: ${file}: answers\\.engine`));
  await Deno.remove(dir, { recursive: true });
});
