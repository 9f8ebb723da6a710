/**
 * The small part of Home Assistant's Jinja templates that MQTT discovery
 * configs use in practice, evaluated without a Jinja engine:
 * `{{ value }}`, `{{ value_json.a.b }}`, `{{ value_json['x'] }}`, variables
 * (`{{ position }}`), dict lookups (`{{ {'off':0,'low':1}[value_json.fan_mode] | default('None') }}`,
 * as Zigbee2MQTT's fan configs write them) and the filters int, float,
 * round, string, lower, upper, default. Text around `{{ }}` is kept (command
 * templates such as `{ "position": {{ position }} }`). Anything else
 * (`{% if %}`, function calls) is refused with {@link TemplateError}.
 * @module
 */

/** A template earshot cannot evaluate, or an evaluation that failed. */
export class TemplateError extends Error {
  override name = "TemplateError";
}

type Scope = Record<string, unknown>;

/** Tokens of one `{{ }}` expression. */
const TOKEN =
  /\s*(?:(\d+(?:\.\d+)?)|'([^']*)'|"([^"]*)"|([A-Za-z_][A-Za-z0-9_]*)|(\|)|(\.)|(\[)|(\])|(\{)|(\})|(:)|(,)|(\()|(\)))/y;

type Tok =
  | { k: "num"; v: number }
  | { k: "str"; v: string }
  | { k: "id"; v: string }
  | { k: "p"; v: string };

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  TOKEN.lastIndex = 0;
  let i = 0;
  while (i < src.length) {
    if (/^\s*$/.test(src.slice(i))) break;
    TOKEN.lastIndex = i;
    const m = TOKEN.exec(src);
    if (!m) throw new TemplateError(`cannot read ${JSON.stringify(src.slice(i, i + 20))}`);
    i = TOKEN.lastIndex;
    if (m[1] !== undefined) out.push({ k: "num", v: Number(m[1]) });
    else if (m[2] !== undefined) out.push({ k: "str", v: m[2] });
    else if (m[3] !== undefined) out.push({ k: "str", v: m[3] });
    else if (m[4] !== undefined) out.push({ k: "id", v: m[4] });
    else out.push({ k: "p", v: m.slice(5).find((x) => x !== undefined)! });
  }
  return out;
}

/** Parser and evaluator of one expression (recursive descent, no side effects). */
class Expr {
  #i = 0;
  constructor(readonly toks: Tok[], readonly scope: Scope) {}

  #peek(): Tok | undefined {
    return this.toks[this.#i];
  }
  #punct(v: string): boolean {
    const t = this.#peek();
    if (t?.k === "p" && t.v === v) {
      this.#i++;
      return true;
    }
    return false;
  }
  #expect(v: string): void {
    if (!this.#punct(v)) throw new TemplateError(`expected "${v}"`);
  }

  run(): unknown {
    const v = this.#filtered();
    if (this.#i < this.toks.length) throw new TemplateError("unexpected text after the expression");
    return v;
  }

  #filtered(): unknown {
    let v = this.#postfix();
    while (this.#punct("|")) {
      const f = this.#peek();
      if (f?.k !== "id") throw new TemplateError("expected a filter name after |");
      this.#i++;
      const args: unknown[] = [];
      if (this.#punct("(")) {
        if (!this.#punct(")")) {
          do args.push(this.#postfix()); while (this.#punct(","));
          this.#expect(")");
        }
      }
      v = applyFilter(f.v, v, args);
    }
    return v;
  }

  #postfix(): unknown {
    let v = this.#primary();
    for (;;) {
      if (this.#punct(".")) {
        const t = this.#peek();
        if (t?.k !== "id") throw new TemplateError("expected a name after .");
        this.#i++;
        v = member(v, t.v);
      } else if (this.#punct("[")) {
        const key = this.#filtered();
        this.#expect("]");
        v = member(v, key);
      } else return v;
    }
  }

  #primary(): unknown {
    const t = this.#peek();
    if (!t) throw new TemplateError("empty expression");
    this.#i++;
    if (t.k === "num" || t.k === "str") return t.v;
    if (t.k === "id") {
      if (t.v === "None" || t.v === "none") return null;
      if (t.v === "true" || t.v === "True") return true;
      if (t.v === "false" || t.v === "False") return false;
      if (!(t.v in this.scope)) throw new TemplateError(`unknown variable "${t.v}"`);
      return this.scope[t.v];
    }
    if (t.v === "{") {
      const dict = new Map<string, unknown>();
      if (!this.#punct("}")) {
        do {
          const k = this.#primary();
          this.#expect(":");
          dict.set(String(k), this.#postfix());
        } while (this.#punct(","));
        this.#expect("}");
      }
      return dict;
    }
    if (t.v === "(") {
      const v = this.#filtered();
      this.#expect(")");
      return v;
    }
    throw new TemplateError(`unexpected "${t.v}"`);
  }
}

/** Jinja's undefined: absent keys, kept apart from null so `default` can replace it. */
const UNDEFINED = Symbol("undefined");

function member(v: unknown, key: unknown): unknown {
  if (v instanceof Map) return v.has(String(key)) ? v.get(String(key)) : UNDEFINED;
  if (v !== null && typeof v === "object" && String(key) in (v as object)) {
    return (v as Record<string, unknown>)[String(key)];
  }
  return UNDEFINED;
}

function toNumber(v: unknown, dflt?: unknown): number {
  const n = typeof v === "string" && v.trim() !== "" ? Number(v) : v;
  if (typeof n === "number" && Number.isFinite(n)) return n;
  if (typeof n === "boolean") return n ? 1 : 0;
  if (dflt !== undefined) return Number(dflt);
  throw new TemplateError(`expected a number, got ${JSON.stringify(v === UNDEFINED ? null : v)}`);
}

function applyFilter(name: string, v: unknown, args: unknown[]): unknown {
  switch (name) {
    case "default":
    case "d":
      return v === UNDEFINED ? args[0] ?? "" : v;
    case "int":
      return Math.trunc(toNumber(v, args[0]));
    case "float":
      return toNumber(v, args[0]);
    case "round": {
      const p = 10 ** (args[0] === undefined ? 0 : toNumber(args[0]));
      return Math.round(toNumber(v) * p) / p;
    }
    case "string":
      return text(v);
    case "lower":
      return text(v).toLowerCase();
    case "upper":
      return text(v).toUpperCase();
    case "tojson":
    case "to_json":
      return JSON.stringify(v === UNDEFINED ? null : v);
    default:
      throw new TemplateError(`filter "${name}" is not supported`);
  }
}

function text(v: unknown): string {
  if (v === UNDEFINED) return "";
  if (v === null) return "None";
  if (v === true) return "True";
  if (v === false) return "False";
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}

const SEGMENT = /\{\{([\s\S]*?)\}\}/g;

/** Whether `tpl` uses only what {@link render} understands (checked without evaluating). */
export function supported(tpl: unknown): boolean {
  if (tpl === undefined) return true;
  if (typeof tpl !== "string" || /\{%|\{#/.test(tpl)) return false;
  try {
    for (const m of tpl.matchAll(SEGMENT)) tokenize(m[1]);
    // Parse each expression against a scope where every name is defined.
    const any = new Proxy({}, { has: () => true, get: () => undefined }) as Scope;
    for (const m of tpl.matchAll(SEGMENT)) {
      try {
        new Expr(tokenize(m[1]), any).run();
      } catch (err) {
        if (err instanceof TemplateError && !/expected a number/.test(err.message)) throw err;
      }
    }
    return true;
  } catch {
    return false;
  }
}

/**
 * The value of a template that is exactly one `{{ expression }}` (the value
 * itself, not its text: a number stays a number); `undefined` when the
 * expression reads an absent key and has no `default`.
 */
export function evaluate(tpl: string, scope: Scope): unknown {
  const t = tpl.trim();
  const m = /^\{\{([\s\S]*?)\}\}$/.exec(t);
  if (!m || /\{%/.test(t)) return render(tpl, scope);
  const v = new Expr(tokenize(m[1]), scope).run();
  return v === UNDEFINED ? undefined : v;
}

/**
 * Render a template to text (`{{ }}` segments replaced, the rest kept).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(render('{ "position": {{ position }} }', { position: 40 }), '{ "position": 40 }');
 * ```
 */
export function render(tpl: string, scope: Scope): string {
  if (/\{%|\{#/.test(tpl)) throw new TemplateError("{% %} statements are not supported");
  return tpl.replace(SEGMENT, (_, expr: string) => text(new Expr(tokenize(expr), scope).run()));
}
