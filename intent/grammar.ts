/**
 * Sentence templates + device registry -> one word-level grammar
 * ({@link WordGrammar}) for the ASR decoder and the text parser. Arcs may
 * carry a tag (which intent starts, which slot value ends here); the decoder
 * can ignore tags and only follow words. The graph is acyclic; dead branches
 * (a template whose list is empty) are pruned so every state reaches a final one.
 * @module
 */
import type { GrammarArc, GrammarTag, WordGrammar } from "../core/grammar.ts";
import type { Device, Registry } from "../home/registry.ts";
import { DEVICE_TYPES } from "../home/schema.ts";
import { numberToWords } from "../core/text.ts";
import { parseTemplate, TemplateError, type TemplateNode } from "./template.ts";
import { DEFAULT_TEMPLATES, mergeTemplates, type TemplateSet } from "./templates.ts";
import { round3 } from "../core/math.ts";

export type { GrammarTag };

/** An arc that may carry a tag, a preference cost and the slot-word mark (see GrammarArc). */
export type TaggedArc = GrammarArc;

/** The compiled command grammar: a {@link WordGrammar} whose arcs may carry tags. */
export interface CommandGrammar extends WordGrammar {
  arcs: TaggedArc[][];
  /** Registry version it was built from. */
  version: number;
}

/**
 * Phrase -> slot value; the optional third field renames the slot for that phrase (a device
 * name several devices share fills `name` with the phrase instead of `device` with an id).
 */
type ListEntries = Array<[phrase: string, value: string | number, slot?: string]>;

const has = (d: Device, f: Device["features"][number]) => d.features.includes(f);

/**
 * Slot lists filled from the registry. A name (or alias) that several devices
 * share fills the slot `name` with the phrase (resolved by area after the
 * parse, see resolve.ts); a name of one device fills `device` with its id.
 */
export function registryLists(registry: Registry): Record<string, ListEntries> {
  const uses = new Map<string, number>();
  for (const d of registry.devices) {
    for (const n of new Set([d.name, ...d.aliases])) uses.set(n, (uses.get(n) ?? 0) + 1);
  }
  const names = (devs: Device[]): ListEntries => {
    const out: ListEntries = [];
    const seen = new Set<string>();
    for (const d of devs) {
      for (const n of [d.name, ...d.aliases]) {
        if ((uses.get(n) ?? 0) > 1) {
          if (!seen.has(n)) out.push([n, n, "name"]);
          seen.add(n);
        } else out.push([n, d.id]);
      }
    }
    return out;
  };
  const all = registry.devices.filter((d) => d.type !== "scene");
  const floors = registry.floors.flatMap((f) =>
    [f.name, ...f.aliases].map((n) => [n, f.id] as [string, string])
  );
  return {
    device: names(all),
    switchable: names(all.filter((d) => has(d, "onoff"))),
    dimmable: names(all.filter((d) => has(d, "brightness"))),
    ct_light: names(all.filter((d) => has(d, "colorTemp"))),
    thermostat: names(all.filter((d) => has(d, "temperature"))),
    cover: names(all.filter((d) => d.type === "cover" || has(d, "position"))),
    fan: names(all.filter((d) => has(d, "speed"))),
    /** Things one starts and stops: fans, switches, plugs ("start the attic fan"). */
    startable: names(
      all.filter((d) => has(d, "onoff") && ["fan", "switch", "plug"].includes(d.type)),
    ),
    scene: names(registry.devices.filter((d) => d.type === "scene")),
    /** Areas and floors (a floor id stands where an area id may). */
    area: [
      ...registry.areas.flatMap((a) =>
        [a.name, ...a.aliases].map((n) => [n, a.id] as [string, string])
      ),
      ...floors,
    ],
    floor: floors,
  };
}

/**
 * Tie-break costs of slot values: a named device beats a device type ("the kitchen light" is
 * the device, not kitchen + lights), and a device's full name beats area + name.
 */
function preference(slot: string): number | undefined {
  return slot === "domain" ? 0.01 : slot === "area" ? 0.001 : undefined;
}

class Builder {
  arcs: TaggedArc[][] = [];
  state(): number {
    this.arcs.push([]);
    return this.arcs.length - 1;
  }
  arc(from: number, to: number, word: string | null, extra: Partial<TaggedArc> = {}): void {
    this.arcs[from].push({ word, to, ...extra });
  }
}

/** Template set with the registry's own templates merged in. */
export function effectiveTemplates(registry: Registry, templates?: TemplateSet): TemplateSet {
  return mergeTemplates(templates ?? DEFAULT_TEMPLATES, registry.templates);
}

/** Compiles template nodes into arcs of one {@link Builder}, with the lists and rules in scope. */
class TemplateCompiler {
  #b: Builder;
  #lists: Record<string, ListEntries>;
  #rules: Map<string, TemplateNode>;

  constructor(b: Builder, lists: Record<string, ListEntries>, rules: Map<string, TemplateNode>) {
    this.#b = b;
    this.#lists = lists;
    this.#rules = rules;
  }

  /** A slot list from state `from` as a word trie; returns its end state (null: empty list). */
  #list(from: number, slot: string, entries: ListEntries, where: string): number | null {
    if (!entries.length) return null;
    const end = this.#b.state();
    const trie = new Map<string, number>(); // prefix -> state
    for (const [phrase, value, rename] of entries) {
      const words = phrase.split(" ").filter(Boolean);
      if (!words.length) throw new TemplateError(`${where}: list "${slot}" has an empty phrase`);
      let s = from;
      let prefix = "";
      for (const w of words) {
        prefix += ` ${w}`;
        let next = trie.get(prefix);
        if (next === undefined) {
          next = this.#b.state();
          trie.set(prefix, next);
          this.#b.arc(s, next, w, { slotWord: true });
        }
        s = next;
      }
      this.#b.arc(s, end, null, { tag: { slot: rename ?? slot, value }, cost: preference(slot) });
    }
    return end;
  }

  /**
   * Arcs for `node` from state `from`; returns the end state, or null when the node matches
   * nothing (an empty list). `stack`: the rules being expanded (cycles are errors).
   */
  compile(node: TemplateNode, from: number, where: string, stack: string[]): number | null {
    switch (node.kind) {
      case "word": {
        const to = this.#b.state();
        this.#b.arc(from, to, node.word);
        return to;
      }
      case "seq": {
        let s: number | null = from;
        for (const item of node.items) {
          s = this.compile(item, s, where, stack);
          if (s === null) return null;
        }
        return s;
      }
      case "alt": {
        const end = this.#b.state();
        let any = false;
        for (const option of node.options) {
          const e = this.compile(option, from, where, stack);
          if (e !== null) {
            this.#b.arc(e, end, null);
            any = true;
          }
        }
        return any ? end : null;
      }
      case "opt": {
        const end = this.#b.state();
        const e = this.compile(node.node, from, where, stack);
        if (e !== null) this.#b.arc(e, end, null);
        this.#b.arc(from, end, null);
        return end;
      }
      case "weight": {
        const to = this.#b.state();
        this.#b.arc(from, to, null, { weight: node.cost });
        return to;
      }
      case "const": {
        const to = this.#b.state();
        this.#b.arc(from, to, null, {
          tag: { slot: node.slot, value: node.value },
          cost: preference(node.slot),
        });
        return to;
      }
      case "range": {
        const entries: ListEntries = [];
        const count = Math.floor((node.max - node.min) / node.step + 1e-9);
        for (let i = 0; i <= count; i++) {
          const v = round3(node.min + i * node.step);
          entries.push([numberToWords(v), v]);
        }
        return this.#list(from, node.slot, entries, where);
      }
      case "slot": {
        const entries = this.#lists[node.list];
        if (!entries) {
          throw new TemplateError(
            `${where}: unknown list "${node.list}" (known: ${Object.keys(this.#lists).join(", ")})`,
          );
        }
        return this.#list(from, node.slot, entries, where);
      }
      case "rule": {
        const rule = this.#rules.get(node.name);
        if (!rule) throw new TemplateError(`${where}: unknown rule <${node.name}>`);
        if (stack.includes(node.name)) {
          throw new TemplateError(`${where}: rule cycle ${[...stack, node.name].join(" -> ")}`);
        }
        return this.compile(rule, from, where, [...stack, node.name]);
      }
    }
  }
}

const grammarCache = new WeakMap<Registry, { templates?: TemplateSet; grammar: CommandGrammar }>();

/**
 * Compile the templates for the registry's devices and areas. Throws
 * {@link TemplateError} naming the intent and template index on bad syntax,
 * unknown rules/lists or rule cycles. Results are cached per registry version.
 */
export function buildCommandGrammar(registry: Registry, templates?: TemplateSet): CommandGrammar {
  const cached = grammarCache.get(registry);
  if (cached && cached.templates === templates && cached.grammar.version === registry.version) {
    return cached.grammar;
  }
  const set = effectiveTemplates(registry, templates);
  const lists: Record<string, ListEntries> = { ...registryLists(registry) };
  // Static lists whose values are device types ("lights" -> light) keep only types that exist,
  // so "turn on the fans" is out of grammar in a house without fans.
  const types = new Set<string>(registry.devices.map((d) => d.type));
  for (const [name, entries] of Object.entries(set.lists)) {
    // A value may be a type and a kind ("cover/blind": covers called blinds).
    lists[name] = Object.entries(entries).filter(([, v]) => {
      const type = typeof v === "string" ? v.split("/")[0] : "";
      return !(DEVICE_TYPES as readonly string[]).includes(type) || types.has(type);
    });
  }
  const rules = new Map<string, TemplateNode>();
  for (const [name, text] of Object.entries(set.rules)) {
    rules.set(name, parseTemplate(text, `rules.${name}`));
  }

  const b = new Builder();
  const start = b.state();
  const final = b.state();
  const compiler = new TemplateCompiler(b, lists, rules);
  const compile = compiler.compile.bind(compiler);

  // Words allowed around every command ("please ..."); intents hang between them.
  let first = start;
  if (set.prefix) {
    first = compile(parseTemplate(set.prefix, "prefix"), start, "prefix", []) ?? start;
  }
  const last = set.suffix ? b.state() : final;
  if (set.suffix) {
    const end = compile(parseTemplate(set.suffix, "suffix"), last, "suffix", []);
    if (end === null) throw new TemplateError(`suffix: "${set.suffix}" matches nothing`);
    b.arc(end, final, null);
  }

  for (const [intent, list] of Object.entries(set.intents)) {
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(intent)) {
      throw new TemplateError(`intents.${intent}: intent names use letters, digits and _`);
    }
    list.forEach((text, i) => {
      const where = `intents.${intent}[${i}]`;
      const node = parseTemplate(text, where);
      const entry = b.state();
      const end = compile(node, entry, where, []);
      if (end === null) return;
      b.arc(first, entry, null, { tag: { intent, template: i } });
      b.arc(end, last, null);
    });
  }
  const grammar = prune(b.arcs, start, final, registry.version);
  grammarCache.set(registry, { templates, grammar });
  return grammar;
}

/** Drop states that are unreachable or cannot reach the final state, renumbering the rest. */
function prune(arcs: TaggedArc[][], start: number, final: number, version: number): CommandGrammar {
  const reach = new Set<number>([start]);
  const stack = [start];
  while (stack.length) {
    for (const a of arcs[stack.pop()!]) if (!reach.has(a.to)) (reach.add(a.to), stack.push(a.to));
  }
  const rev: number[][] = arcs.map(() => []);
  arcs.forEach((list, s) => list.forEach((a) => rev[a.to].push(s)));
  const live = new Set<number>([final]);
  stack.push(final);
  while (stack.length) {
    for (const p of rev[stack.pop()!]) if (!live.has(p)) (live.add(p), stack.push(p));
  }
  const map = new Map<number, number>();
  for (let s = 0; s < arcs.length; s++) if (reach.has(s) && live.has(s)) map.set(s, map.size);
  if (!map.has(start)) map.set(start, map.size);
  const out: TaggedArc[][] = Array.from({ length: map.size }, () => []);
  for (const [old, n] of map) {
    out[n] = arcs[old].filter((a) => map.has(a.to)).map((a) => ({ ...a, to: map.get(a.to)! }));
  }
  const finals = new Array(map.size).fill(false);
  if (map.has(final)) finals[map.get(final)!] = true;
  return { start: map.get(start)!, final: finals, arcs: out, version };
}

/** Number of distinct paths (start to final) through the grammar; sentences can repeat across paths. */
export function countSentences(g: WordGrammar): number {
  const memo = new Map<number, number>();
  const order = topoOrder(g);
  for (let i = order.length - 1; i >= 0; i--) {
    const s = order[i];
    let n = g.final[s] ? 1 : 0;
    for (const a of g.arcs[s]) n += memo.get(a.to) ?? 0;
    memo.set(s, n);
  }
  return memo.get(g.start) ?? 0;
}

function topoOrder(g: WordGrammar): number[] {
  const indeg = new Array(g.arcs.length).fill(0);
  for (const list of g.arcs) for (const a of list) indeg[a.to]++;
  const queue = indeg.map((d, s) => d === 0 ? s : -1).filter((s) => s >= 0);
  const order: number[] = [];
  while (queue.length) {
    const s = queue.shift()!;
    order.push(s);
    for (const a of g.arcs[s]) if (--indeg[a.to] === 0) queue.push(a.to);
  }
  if (order.length !== g.arcs.length) throw new Error("grammar has a cycle");
  return order;
}

/** Every distinct sentence, depth first, up to `limit`. */
export function* enumerateSentences(g: WordGrammar, limit = Infinity): Generator<string> {
  const seen = new Set<string>();
  const stack: Array<[number, string[]]> = [[g.start, []]];
  while (stack.length && seen.size < limit) {
    const [s, words] = stack.pop()!;
    if (g.final[s]) {
      const text = words.join(" ");
      if (!seen.has(text)) {
        seen.add(text);
        yield text;
      }
    }
    for (let i = g.arcs[s].length - 1; i >= 0; i--) {
      const a = g.arcs[s][i];
      stack.push([a.to, a.word === null ? words : [...words, a.word]]);
    }
  }
}

/** A sampled sentence with the intent and slots of the path that produced it. */
export interface SampledCommand {
  text: string;
  intent: string;
  slots: Record<string, string | number>;
}

/** Deterministic PRNG (mulberry32) for reproducible samples. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Random valid commands: at every state one outgoing arc is chosen uniformly
 * (intents equally likely, then templates, optional parts half the time,
 * list entries uniformly), with their intent and slots (for ASR training labels).
 */
export function sampleCommands(
  g: CommandGrammar,
  n: number,
  rng: () => number = Math.random,
): SampledCommand[] {
  const out: SampledCommand[] = [];
  if (!g.arcs[g.start].length) return out;
  for (let k = 0; k < n; k++) {
    let s = g.start;
    const words: string[] = [];
    let intent = "";
    const slots: Record<string, string | number> = {};
    for (;;) {
      const arcs = g.arcs[s];
      if (g.final[s] && (!arcs.length || rng() < 0.5)) break;
      const a = arcs[Math.floor(rng() * arcs.length)];
      if (a.word !== null) words.push(a.word);
      if (a.tag && "intent" in a.tag) intent = a.tag.intent;
      else if (a.tag) slots[a.tag.slot] = a.tag.value;
      s = a.to;
    }
    out.push({ text: words.join(" "), intent, slots });
  }
  return out;
}

/** `n` random valid sentences for the registry (see {@link sampleCommands}). */
export function sampleSentences(
  registry: Registry,
  n: number,
  rng: () => number = Math.random,
  templates?: TemplateSet,
): string[] {
  return sampleCommands(buildCommandGrammar(registry, templates), n, rng).map((c) => c.text);
}
