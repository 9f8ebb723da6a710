import assert from "node:assert/strict";
import { ConfigError, DEFAULTS, loadConfig, parseConfig } from "../../core/config.ts";
import { apiLimits, DEFAULT_LIMITS } from "../../api/app.ts";
import { SSE_DEFAULTS, sseOptions } from "../../api/sse.ts";
import { tempDir } from "../helpers/audio.ts";

Deno.test("defaults: 16 kHz front end, energy gate, one thread of everything", () => {
  const c = parseConfig({});
  assert.equal(c.audio.source, "wav");
  assert.equal(c.mfcc.melBands, 40);
  assert.equal(c.mfcc.coefficients, 13);
  assert.equal(c.vad.energyGateDb, -55);
  assert.equal(c.api.host, "127.0.0.1");
});

Deno.test("errors name the source and the path of every problem", () => {
  assert.throws(
    () => parseConfig({ vad: { threshold: 2 }, audio: { source: "tape" } }, "earshot.json"),
    (e: Error) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /^earshot\.json: /m);
      assert.match(e.message, /earshot\.json: vad\.threshold: /);
      assert.match(e.message, /earshot\.json: audio\.source: /);
      return true;
    },
  );
  assert.throws(
    () => parseConfig({ vad: { thresold: 0.5 } }, "c.json"),
    /c\.json: vad: .*thresold/,
  );
  assert.throws(
    () => parseConfig({ wake: { models: [{ id: "a", path: "x.onnx" }, { id: "" }] } }, "c.json"),
    /c\.json: wake\.models\[1\]\.(id|path)/,
  );
});

Deno.test("file, environment and flags layer in that order", async () => {
  await using dir = await tempDir();
  const file = `${dir.path}/earshot.json`;
  await Deno.writeTextFile(
    file,
    JSON.stringify({
      audio: { micDevice: "hw:1" },
      mqtt: { siteId: "kitchen" },
      vad: { padMs: 30 },
    }),
  );
  const c = await loadConfig({
    file,
    env: { EARSHOT_SITE_ID: "hall", EARSHOT_API_PORT: "9000" },
    overrides: { "vad.padMs": 50 },
  });
  assert.equal(c.audio.micDevice, "hw:1");
  assert.equal(c.mqtt.siteId, "hall");
  assert.equal(c.api.port, 9000);
  assert.equal(c.vad.padMs, 50);
});

Deno.test("bad files: unreadable, invalid JSON with its line, not an object, bad env", async () => {
  await using dir = await tempDir();
  await assert.rejects(
    loadConfig({ file: `${dir.path}/none.json` }),
    /none\.json: cannot read config file/,
  );
  const bad = `${dir.path}/bad.json`;
  await Deno.writeTextFile(bad, '{\n  "vad": {\n    "threshold": 0.5,\n  }\n}\n');
  await assert.rejects(loadConfig({ file: bad }), /bad\.json:4:3: invalid JSON/);
  await Deno.writeTextFile(bad, "[1, 2]");
  await assert.rejects(loadConfig({ file: bad }), /bad\.json: \(root\): expected a JSON object/);
  await assert.rejects(
    loadConfig({ env: { EARSHOT_API_PORT: "eighty" } }),
    /environment: api\.port: /,
  );
});

Deno.test("timers past 2^31-1 ms are refused naming the field (they would fire at once)", () => {
  for (
    const [section, field] of [
      ["api", "commandTimeoutMs"],
      ["api", "sseKeepAliveMs"],
      ["devices", "confirmTimeoutMs"],
      ["audio", "restartMinMs"],
      ["mqtt", "backoffMaxMs"],
      ["mqtt", "queueExpiryMs"],
    ]
  ) {
    assert.throws(
      () => parseConfig({ [section]: { [field]: 2 ** 31 } }, "c.json"),
      new RegExp(`c\\.json: ${section}\\.${field}: at most 2147483647 ms`),
    );
  }
  assert.equal(
    parseConfig({ devices: { confirmTimeoutMs: 2 ** 31 - 1 } }).devices.confirmTimeoutMs,
    2 ** 31 - 1,
  );
});

Deno.test("contradictory or absurd values are refused: thresholds, ranges, models, phones", () => {
  const cases: [unknown, RegExp][] = [
    [
      { vad: { threshold: 0.2, negThreshold: 0.9 } },
      /vad\.negThreshold: must not exceed vad\.threshold/,
    ],
    [{ vad: { minSilenceMs: 1e12 } }, /vad\.minSilenceMs: at most 10000 ms/],
    [{ wake: { models: [] } }, /wake\.models: needs at least one model/],
    [{ audio: { restartMinMs: 5000, restartMaxMs: 100 } }, /audio\.restartMinMs: must not exceed/],
    [{ mqtt: { backoffMinMs: 50000 } }, /mqtt\.backoffMinMs: must not exceed mqtt\.backoffMaxMs/],
    [{ api: { idleTimeoutMs: 1000 } }, /api\.idleTimeoutMs: must exceed api\.commandTimeoutMs/],
    [
      { asr: { pronunciations: { gizmo: "G IH Z QQ" } } },
      /asr\.pronunciations\.gizmo: unknown phone "QQ"/,
    ],
    [
      { asr: { pronunciations: { gizmo: ["G IH1 Z", " "] } } },
      /asr\.pronunciations\.gizmo\[1\]: empty/,
    ],
  ];
  for (const [input, re] of cases) {
    assert.throws(() => parseConfig(input, "c.json"), (e: Error) => {
      assert.ok(e instanceof ConfigError, String(e));
      assert.match(e.message, re);
      return true;
    });
  }
  // Stress digits are fine.
  parseConfig({ asr: { pronunciations: { gizmo: ["G IH1 Z M OW0"] } } });
});

Deno.test("a config file with a UTF-8 byte order mark is read", async () => {
  await using dir = await tempDir();
  const file = `${dir.path}/bom.json`;
  await Deno.writeFile(
    file,
    new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('{"vad":{"threshold":0.7}}')]),
  );
  assert.equal((await loadConfig({ file })).vad.threshold, 0.7);
});

Deno.test("the schema holds the API's and the SSE hub's defaults; the api section sets them", () => {
  assert.deepEqual(DEFAULT_LIMITS, apiLimits(parseConfig({})));
  assert.deepEqual(SSE_DEFAULTS, sseOptions(parseConfig({})));
  assert.equal(DEFAULT_LIMITS.maxTextChars, 500);
  assert.equal(SSE_DEFAULTS.replayBuffer, 500);
  assert.deepEqual(DEFAULTS, parseConfig({}));
  const c = parseConfig({
    api: { maxTextChars: 10, maxUploadReads: 1, probeTimeoutMs: 500, sseRetryMs: 100 },
  });
  assert.equal(apiLimits(c).maxTextChars, 10);
  assert.equal(apiLimits(c).maxUploadReads, 1);
  assert.equal(apiLimits(c).probeTimeoutMs, 500);
  assert.equal(sseOptions(c).retryMs, 100);
  assert.throws(
    () => parseConfig({ api: { maxUploadReads: 0 } }, "cfg.json"),
    (e: Error) => e instanceof ConfigError && /cfg\.json.*api\.maxUploadReads/.test(e.message),
  );
  assert.throws(
    () => parseConfig({ api: { sseClientQueue: "big" } }, "cfg.json"),
    (e: Error) => e instanceof ConfigError && /api\.sseClientQueue/.test(e.message),
  );
});
