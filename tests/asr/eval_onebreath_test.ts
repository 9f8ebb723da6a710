/**
 * The scoring of scripts/asr/eval_onebreath.ts: which transcripts act (the devices runtime's
 * rule), when an item counts as right, the summary, and bad arguments.
 */
import assert from "node:assert/strict";
import type { EarshotEvent } from "../../core/events.ts";
import { loadRegistry } from "../../home/registry.ts";
import { parseIntent } from "../../intent/index.ts";
import { actionsIn, itemOk, type ItemResult, summarize } from "../../scripts/asr/eval_onebreath.ts";

const registry = await loadRegistry("devices/example.devices.json");

function transcript(t: number, text: string, rejected = false): EarshotEvent {
  return {
    type: "transcript",
    t,
    text,
    confidence: rejected ? 0.1 : 0.9,
    start: t - 1,
    end: t - 0.2,
    decodeMs: 1,
    alternatives: [],
    rejected,
  };
}

Deno.test("eval_onebreath: only accepted transcripts in the window that parse to an intent act", () => {
  const events: EarshotEvent[] = [
    transcript(1, "turn off the floor lamp"),
    transcript(2, "close the garage door", true),
    transcript(3, "turn on the kitchen light"),
    transcript(9, "open the garage door"),
  ];
  const { actions, transcripts, acted } = actionsIn(events, 0.5, 5, registry, 0.75);
  assert.equal(transcripts.length, 3);
  assert.deepEqual(actions, [
    parseIntent("turn off the floor lamp", registry),
    parseIntent("turn on the kitchen light", registry),
  ]);
  assert.notEqual(actions[0], null);
  assert.deepEqual(acted.map((t) => t.t), [1, 3]);
});

Deno.test("eval_onebreath: a command is right with exactly its intent; OOG with nothing", () => {
  const ref = parseIntent("turn off the floor lamp", registry)!;
  const other = parseIntent("turn on the floor lamp", registry)!;
  const base = { voice: "v", cond: "clean", noise: "none", text: "hey computer ...", woke: true };
  const right: ItemResult = { ...base, kind: "command", actions: [ref], reference: ref };
  const wrong: ItemResult = { ...base, kind: "command", actions: [other], reference: ref };
  const twice: ItemResult = { ...base, kind: "command", actions: [ref, ref], reference: ref };
  const missed: ItemResult = { ...base, kind: "command", woke: false, actions: [], reference: ref };
  const quiet: ItemResult = { ...base, kind: "oog", actions: [] };
  const acted: ItemResult = { ...base, kind: "oog", actions: [other] };
  assert.deepEqual(
    [right, wrong, twice, missed, quiet, acted].map(itemOk),
    [true, false, false, false, true, false],
  );
  const s = summarize([right, wrong, twice, missed, quiet, acted]);
  assert.equal(s.commands, 4);
  assert.equal(s.wakeDetected, 75);
  assert.equal(s.intentSlot, 25);
  assert.equal(s.intentSlotGivenWake, 33.3);
  assert.equal(s.wrongAction, 50);
  assert.equal(s.oogDidNothing, 50);
});

Deno.test("eval_onebreath: bad arguments name the flag and exit 2", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "scripts/asr/eval_onebreath.ts", "--commands", "lots"],
    stderr: "piped",
    stdout: "null",
  }).output();
  assert.equal(out.code, 2);
  assert.match(new TextDecoder().decode(out.stderr), /--commands: expected an integer >= 1/);
});
