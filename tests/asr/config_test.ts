import assert from "node:assert/strict";
import { ConfigError, parseConfig } from "../../core/config.ts";

Deno.test("asr config: defaults for trigger, chunking, lexicon sources", () => {
  const c = parseConfig({});
  assert.equal(c.asr.trigger, "wake");
  assert.equal(c.asr.chunkFrames, 8);
  assert.equal(c.asr.cmudict, "");
  assert.equal(c.asr.espeak, "espeak-ng");
  assert.deepEqual(c.asr.pronunciations, {});
});

Deno.test("asr config: user pronunciations and espeak off are accepted", () => {
  const c = parseConfig({
    asr: { espeak: false, pronunciations: { zigbee: "Z IH G B IY", hue: ["HH Y UW", "HH UW"] } },
  });
  assert.equal(c.asr.espeak, false);
  assert.deepEqual(c.asr.pronunciations.hue, ["HH Y UW", "HH UW"]);
});

Deno.test("asr config: bad values name the path", () => {
  assert.throws(() => parseConfig({ asr: { chunkFrames: 7 } }, "e.json"), (e: Error) => {
    assert.ok(e instanceof ConfigError);
    assert.match(e.message, /e.json: asr.chunkFrames/);
    return true;
  });
  assert.throws(() => parseConfig({ asr: { trigger: "always" } }, "e.json"), /e.json: asr.trigger/);
  assert.throws(() => parseConfig({ asr: { espeak: true } }, "e.json"), /e.json: asr.espeak/);
  assert.throws(
    () => parseConfig({ asr: { pronunciations: { hue: 3 } } }, "e.json"),
    /e.json: asr.pronunciations.hue/,
  );
});
