/**
 * Sentence template syntax (Rhasspy-like, documented in docs/devices.md):
 *
 * - `turn on the light`     words (normalized: lower case, digits spelled out)
 * - `(on | off)`            alternatives
 * - `[please]`              optional part
 * - `{device}` `{device:light}`  slot filled from a list (slot name : list name)
 * - `{brightness:0..100}` `{kelvin:2000..6500,100}` `{t:5..30,0.5}`  number range (step optional)
 * - `{area=*}`              constant slot value (consumes no word)
 * - `<on>`                  reference to a named rule
 * - `{~2}`                  a prior cost in nats for the recognizer on this path (consumes no word;
 *                            the text parser ignores it): rarer phrasings yield to common ones when
 *                            the audio is unclear
 *
 * This module only parses text into a small syntax tree; grammar.ts compiles it.
 * @module
 */
import { normalizeText } from "../core/text.ts";

/** A parsed template. */
export type TemplateNode =
  | { kind: "word"; word: string }
  | { kind: "seq"; items: TemplateNode[] }
  | { kind: "alt"; options: TemplateNode[] }
  | { kind: "opt"; node: TemplateNode }
  | { kind: "slot"; slot: string; list: string }
  | { kind: "range"; slot: string; min: number; max: number; step: number }
  | { kind: "const"; slot: string; value: string }
  | { kind: "weight"; cost: number }
  | { kind: "rule"; name: string };

/** A template syntax error; the message quotes the template and the column. */
export class TemplateError extends Error {
  override name = "TemplateError";
}

const NAME = /^[a-z_][a-z0-9_]*$/i;

/** Deepest nesting of ( ) and [ ] groups in one template (deeper is refused, never a stack overflow). */
export const MAX_TEMPLATE_DEPTH = 32;

/** Parse one template string. `where` prefixes error messages (e.g. `intents.TurnOn[2]`). */
export function parseTemplate(text: string, where = "template"): TemplateNode {
  let i = 0;
  let depth = 0;
  const fail = (msg: string, at = i): never => {
    throw new TemplateError(`${where}: "${text}": column ${at + 1}: ${msg}`);
  };
  const skipSpace = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };

  function parseAlt(close: string | null): TemplateNode {
    const options: TemplateNode[] = [parseSeq(close)];
    while (text[i] === "|") {
      i++;
      options.push(parseSeq(close));
    }
    return options.length === 1 ? options[0] : { kind: "alt", options };
  }

  function parseSeq(close: string | null): TemplateNode {
    const items: TemplateNode[] = [];
    for (;;) {
      skipSpace();
      const c = text[i];
      if (c === undefined) break;
      if (c === "|") break;
      if (c === ")" || c === "]") {
        if (c !== close) fail(`unexpected "${c}"`);
        break;
      }
      if (c === "(" || c === "[") {
        const start = i;
        if (++depth > MAX_TEMPLATE_DEPTH) {
          fail(`groups nested deeper than ${MAX_TEMPLATE_DEPTH} levels`, start);
        }
        i++;
        const inner = parseAlt(c === "(" ? ")" : "]");
        depth--;
        if (text[i] !== (c === "(" ? ")" : "]")) fail(`missing "${c === "(" ? ")" : "]"}"`, start);
        i++;
        if (isEmpty(inner)) fail(`empty "${c}...${text[i - 1]}"`, start);
        items.push(c === "[" ? { kind: "opt", node: inner } : inner);
      } else if (c === "{") items.push(parseSlot());
      else if (c === "<") {
        const end = text.indexOf(">", i);
        if (end < 0) fail(`missing ">"`);
        const name = text.slice(i + 1, end).trim();
        if (!NAME.test(name)) fail(`bad rule name "${name}"`);
        items.push({ kind: "rule", name });
        i = end + 1;
      } else if (/[}>]/.test(c)) fail(`unexpected "${c}"`);
      else {
        const start = i;
        while (i < text.length && !/[\s()[\]{}<>|]/.test(text[i])) i++;
        const raw = text.slice(start, i);
        const words = normalizeText(raw);
        if (!words) fail(`"${raw}" has no letters or digits`, start);
        for (const w of words.split(" ")) items.push({ kind: "word", word: w });
      }
    }
    return items.length === 1 ? items[0] : { kind: "seq", items };
  }

  function parseSlot(): TemplateNode {
    const start = i;
    const end = text.indexOf("}", i);
    if (end < 0) fail(`missing "}"`);
    const body = text.slice(i + 1, end).trim();
    i = end + 1;
    if (body.startsWith("~")) {
      const cost = Number(body.slice(1));
      if (!body.slice(1).trim() || !Number.isFinite(cost) || cost < 0 || cost > 50) {
        fail(`"{${body}}": a weight is {~N} with N a number of nats, 0..50`, start);
      }
      return { kind: "weight", cost };
    }
    const eq = body.indexOf("=");
    if (eq >= 0) {
      const slot = body.slice(0, eq).trim();
      const value = body.slice(eq + 1).trim();
      if (!NAME.test(slot)) fail(`bad slot name "${slot}"`, start);
      if (!value) fail(`slot "${slot}" has an empty constant value`, start);
      return { kind: "const", slot, value };
    }
    const [slotRaw, srcRaw] = body.split(":", 2);
    const slot = slotRaw.trim();
    if (!NAME.test(slot)) fail(`bad slot name "${slot}"`, start);
    const src = (srcRaw ?? slot).trim();
    const range = /^(-?\d+(?:\.\d+)?)\s*\.\.\s*(-?\d+(?:\.\d+)?)(?:\s*,\s*(\d+(?:\.\d+)?))?$/.exec(
      src,
    );
    if (range) {
      const min = Number(range[1]);
      const max = Number(range[2]);
      const step = range[3] ? Number(range[3]) : 1;
      if (min > max) fail(`range ${min}..${max} is empty`, start);
      if (step <= 0) fail(`range step must be positive`, start);
      if ((max - min) / step > 2000) fail(`range ${src} has more than 2000 values`, start);
      return { kind: "range", slot, min, max, step };
    }
    if (!NAME.test(src)) fail(`bad list name "${src}"`, start);
    return { kind: "slot", slot, list: src };
  }

  const node = parseAlt(null);
  if (i < text.length) fail(`unexpected "${text[i]}"`);
  if (isEmpty(node)) fail("template is empty", 0);
  return node;
}

function isEmpty(n: TemplateNode): boolean {
  return n.kind === "seq" && n.items.length === 0;
}
