import assert from "node:assert/strict";
import { childEnv, redactUrl } from "../../core/secrets.ts";
import { EventBus } from "../../core/bus.ts";
import type { EarshotEvent } from "../../core/events.ts";

Deno.test("redactUrl cuts user:password@ out of every URL in a text", () => {
  assert.equal(
    redactUrl("cannot reach mqtt://u:SECRET@host:1883 or wss://x:y@b/mqtt; ok: mqtt://plain:1"),
    "cannot reach mqtt://host:1883 or wss://b/mqtt; ok: mqtt://plain:1",
  );
  assert.equal(redactUrl("mqtts://only-user@h"), "mqtts://h");
  assert.equal(redactUrl("mail me at a@b.example"), "mail me at a@b.example");
});

Deno.test("the bus strips credentials from error and source texts before any sink sees them", () => {
  const bus = new EventBus();
  const seen: EarshotEvent[] = [];
  bus.on((e) => seen.push(e));
  bus.emit({
    type: "error",
    t: 0,
    stage: "mqtt",
    message: "mqtt://alice:SECRET@127.0.0.1: refused",
  });
  bus.emit({ type: "source", t: 0, state: "restarting", source: "mic", reason: "x://a:SECRET@h" });
  assert.doesNotMatch(JSON.stringify(seen), /SECRET|alice/);
  assert.equal((seen[0] as { message: string }).message, "mqtt://127.0.0.1: refused");
});

Deno.test("childEnv keeps the environment but no EARSHOT_* variable", () => {
  Deno.env.set("EARSHOT_API_TOKEN", "t0ken-SECRET");
  Deno.env.set("EARSHOT_MQTT_PASSWORD", "pw-SECRET");
  try {
    const env = childEnv();
    assert.ok(!Object.keys(env).some((k) => k.startsWith("EARSHOT_")));
    assert.equal(env.PATH, Deno.env.get("PATH"));
  } finally {
    Deno.env.delete("EARSHOT_API_TOKEN");
    Deno.env.delete("EARSHOT_MQTT_PASSWORD");
  }
});
