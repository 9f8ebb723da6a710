// The parts devices/runtime.ts wires, each alone: registry check and grammar watch, the
// shared site state, text -> intent -> route, and the status snapshot.
import assert from "node:assert/strict";
import { EventBus } from "../../core/bus.ts";
import { DEFAULTS } from "../../core/config.ts";
import type { EarshotEvent } from "../../core/events.ts";
import { grammarWords } from "../../core/grammar.ts";
import { loadRegistry, RegistryError } from "../../home/registry.ts";
import type { CommandGrammar } from "../../intent/grammar.ts";
import { siteTopics } from "../../devices/announce.ts";
import { startEmbeddedBroker } from "../../devices/broker.ts";
import { MqttLink } from "../../devices/mqtt.ts";
import { GrammarWatch, openRegistry } from "../../devices/registry_store.ts";
import { Router } from "../../devices/router.ts";
import { Site } from "../../devices/site.ts";
import { devicesStatus } from "../../devices/status_snapshot.ts";
import { TextHandler } from "../../devices/text_handler.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const example = new URL("../../devices/example.devices.json", import.meta.url).pathname;
const devicesConfig = (area?: string) => ({
  devices: { ...DEFAULTS.devices, file: example, area },
});

Deno.test("openRegistry loads the file and refuses an area it does not have, naming the file", async () => {
  const { registry, area } = await openRegistry(devicesConfig("kitchen"));
  assert.equal(area, "kitchen");
  assert.ok(registry.device("kitchen_light"));
  await assert.rejects(
    openRegistry(devicesConfig("attic")),
    (err: Error) =>
      err instanceof RegistryError &&
      /devices\.area: unknown area "attic" \(areas in .*example\.devices\.json: kitchen/.test(
        err.message,
      ),
  );
});

Deno.test("GrammarWatch: every change reaches onChange, listeners get one rebuilt grammar per burst", async () => {
  const registry = await loadRegistry(example);
  let changes = 0;
  const watch = new GrammarWatch(registry, () => changes++, (m) => assert.fail(m), 30);
  const got: CommandGrammar[] = [];
  watch.listen((g) => got.push(g));
  const adapter = registry.device("kitchen_light")!.adapter;
  registry.add({ name: "shed lamp", area: "kitchen", type: "light", adapter });
  registry.add({ name: "porch lamp", area: "kitchen", type: "light", adapter });
  await new Promise((r) => setTimeout(r, 80));
  assert.equal(changes, 2);
  assert.equal(got.length, 1);
  assert.ok(grammarWords(got[0]).has("porch"));
  watch.close();
});

Deno.test(
  "TextHandler: an understood text is an intent event, a route and last_command; other text is not understood",
  opts,
  async () => {
    const broker = await startEmbeddedBroker("127.0.0.1", 0);
    const link = await MqttLink.connect({ url: broker.url });
    await link.waitConnected();
    const bus = new EventBus();
    const events: EarshotEvent[] = [];
    bus.on((e) => events.push(e));
    const site = new Site(bus, "kitchen", siteTopics("earshot", "kitchen"), false);
    site.attach(link);
    const retained: Record<string, string> = {};
    link.subscribe("earshot/kitchen/#", (t, p) => retained[t] = p);
    const registry = await loadRegistry(example);
    const router = new Router(registry, link, {
      confirmTimeoutMs: 50,
      brightnessStep: 25,
      emit: (e) => site.emit(e),
    });
    const texts = new TextHandler(site, registry, router, { area: "kitchen", minConfidence: 0.75 });
    try {
      const r = texts.handle("turn on the kitchen light", { sessionId: "s1" });
      assert.equal(r.intent?.name, "TurnOn");
      assert.deepEqual(r.actions.map((a) => a.device), ["kitchen_light"]);
      const intent = events.find((e) => e.type === "intent");
      assert.equal(intent?.session, "s1");
      assert.equal(texts.lastCommand?.intent, "TurnOn");
      const nope = texts.handle("sing me a song");
      assert.deepEqual([nope.intent, nope.errors, nope.skipped], [
        null,
        ["not understood"],
        "no intent matched",
      ]);
      assert.equal(
        texts.handle("x".repeat(1001)).errors[0],
        "text must be a string of at most 1000 characters",
      );
      await new Promise((r) => setTimeout(r, 150));
      assert.equal(retained["earshot/kitchen/last_command"], "sing me a song");
      const status = devicesStatus({
        siteId: site.siteId,
        area: "kitchen",
        link,
        embedded: true,
        listening: site.listening,
        registry,
        router,
        lastCommand: texts.lastCommand,
      });
      assert.equal(status.mqtt.embedded, true);
      assert.equal(status.lastCommand?.intent, null);
      assert.ok(status.devices.some((d) => d.id === "kitchen_light"));
      assert.ok(status.grammar.sentences > 0);
    } finally {
      router.close();
      await link.close();
      await broker.close();
    }
  },
);
