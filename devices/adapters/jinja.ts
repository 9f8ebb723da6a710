/**
 * The small part of Home Assistant's Jinja templates that MQTT discovery
 * configs use in practice, evaluated without a Jinja engine:
 * `{{ value }}`, `{{ value_json.a.b }}`, `{{ value_json['x'] }}`, variables
 * (`{{ position }}`), dict lookups (`{{ {'off':0,'low':1}[value_json.fan_mode] | default('None') }}`,
 * as Zigbee2MQTT's fan configs write them) and the filters int, float,
 * round, string, lower, upper, default. Text around `{{ }}` is kept (command
 * templates such as `{ "position": {{ position }} }`), and so are `{% if %}` /
 * `{% elif %}` / `{% else %}` / `{% endif %}` blocks with `-` whitespace control whose
 * conditions use `and`, `or`, `not`, `is [not] defined`, `is [not] none` and truthiness (as
 * Home Assistant's template-schema light examples write them). Anything else (`{% for %}`,
 * `==`, function calls) is refused with {@link TemplateError}.
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
  /** In conditions an unknown variable is Jinja's undefined (for `is defined`), not an error. */
  #lenient = false;
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

  /** A `{% if %}` condition: or / and / not over `x is [not] defined|none` or a value. */
  condition(): boolean {
    this.#lenient = true;
    const v = this.#or();
    if (this.#i < this.toks.length) throw new TemplateError("unexpected text after the condition");
    return v;
  }
  #word(w: string): boolean {
    const t = this.#peek();
    if (t?.k === "id" && t.v === w) {
      this.#i++;
      return true;
    }
    return false;
  }
  #or(): boolean {
    let v = this.#and();
    while (this.#word("or")) v = this.#and() || v;
    return v;
  }
  #and(): boolean {
    let v = this.#not();
    while (this.#word("and")) v = this.#not() && v;
    return v;
  }
  #not(): boolean {
    if (this.#word("not")) return !this.#not();
    const v = this.#filtered();
    if (!this.#word("is")) return truthy(v);
    const neg = this.#word("not");
    const t = this.#peek();
    this.#i++;
    let r: boolean;
    if (t?.k === "id" && t.v === "defined") r = v !== UNDEFINED;
    else if (t?.k === "id" && (t.v === "none" || t.v === "None")) r = v === null;
    else throw new TemplateError(`test "is ${t?.v ?? ""}" is not supported`);
    return neg ? !r : r;
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
      if (!(t.v in this.scope)) {
        if (this.#lenient) return UNDEFINED;
        throw new TemplateError(`unknown variable "${t.v}"`);
      }
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

/** The filters {@link applyFilter} knows (checked by {@link supported} before any value exists). */
const FILTERS = [
  "default",
  "d",
  "int",
  "float",
  "round",
  "string",
  "lower",
  "upper",
  "tojson",
  "to_json",
];

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

/** Jinja truthiness: undefined, none, false, 0, "" and empty collections are false. */
function truthy(v: unknown): boolean {
  if (v === UNDEFINED || v === null || v === false || v === 0 || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof Map) return v.size > 0;
  return true;
}

/** `{{ expr }}`, `{% stmt %}` and `{# comment #}` with optional `-` whitespace control. */
const TAG = /\{\{(-?)([\s\S]*?)(-?)\}\}|\{%(-?)([\s\S]*?)(-?)%\}|\{#[\s\S]*?#\}/g;

type Node =
  | { k: "text"; v: string }
  | { k: "expr"; src: string }
  | { k: "if"; branches: Array<{ cond?: string; body: Node[] }> };

/** Parse a template into text, expressions and if-blocks (whitespace control applied). */
function parse(tpl: string): Node[] {
  const flat: Array<Node | { k: "stmt"; v: string }> = [];
  let last = 0;
  let trimNext = false;
  for (const m of tpl.matchAll(TAG)) {
    let text = tpl.slice(last, m.index);
    if (trimNext) text = text.replace(/^\s+/, "");
    const trimBefore = m[1] === "-" || m[4] === "-";
    if (trimBefore) text = text.replace(/\s+$/, "");
    if (text) flat.push({ k: "text", v: text });
    if (m[2] !== undefined) flat.push({ k: "expr", src: m[2] });
    else if (m[5] !== undefined) flat.push({ k: "stmt", v: m[5].trim() });
    trimNext = m[3] === "-" || m[6] === "-";
    last = m.index! + m[0].length;
  }
  let rest = tpl.slice(last);
  if (trimNext) rest = rest.replace(/^\s+/, "");
  if (rest) flat.push({ k: "text", v: rest });
  let i = 0;
  const block = (until: string[]): [Node[], string | undefined] => {
    const out: Node[] = [];
    while (i < flat.length) {
      const n = flat[i++];
      if (n.k !== "stmt") {
        out.push(n);
        continue;
      }
      const word = n.v.split(/\s+/)[0];
      if (until.includes(word)) return [out, n.v];
      if (["elif", "else", "endif"].includes(word)) {
        throw new TemplateError(`{% ${n.v} %} without {% if %}`);
      }
      if (word !== "if") throw new TemplateError(`{% ${n.v} %} is not supported`);
      const branches: Array<{ cond?: string; body: Node[] }> = [];
      let cond: string | undefined = n.v.slice(2).trim();
      for (;;) {
        const [body, end] = block(["elif", "else", "endif"]);
        branches.push({ cond, body });
        if (end === undefined) throw new TemplateError("{% if %} without {% endif %}");
        if (end === "endif") break;
        if (cond === undefined) {
          throw new TemplateError("{% elif %} or {% else %} after {% else %}");
        }
        cond = end.startsWith("elif") ? end.slice(4).trim() : undefined;
        if (end !== "else" && !end.startsWith("elif ")) {
          throw new TemplateError(`{% ${end} %} is not supported`);
        }
      }
      out.push({ k: "if", branches });
    }
    return [out, undefined];
  };
  return block([])[0];
}

function run(nodes: Node[], scope: Scope, all = false): string {
  let out = "";
  for (const n of nodes) {
    if (n.k === "text") out += n.v;
    else if (n.k === "expr") out += text(new Expr(tokenize(n.src), scope).run());
    else {
      for (const b of n.branches) {
        const hit = b.cond === undefined || new Expr(tokenize(b.cond), scope).condition();
        // `all` (the support check) walks every branch so each expression gets parsed.
        if (all) out += run(b.body, scope, true);
        else if (hit) {
          out += run(b.body, scope);
          break;
        }
      }
    }
  }
  return out;
}

/** Whether `tpl` uses only what {@link render} understands (checked without real values). */
export function supported(tpl: unknown): boolean {
  if (tpl === undefined) return true;
  if (typeof tpl !== "string") return false;
  try {
    const nodes = parse(tpl);
    // Parse each expression against a scope where every name is defined.
    const any = new Proxy({}, { has: () => true, get: () => undefined }) as Scope;
    const check = (ns: Node[]): void => {
      for (const n of ns) {
        if (n.k === "text") continue;
        const srcs = n.k === "expr" ? [n.src] : n.branches.map((b) => b.cond);
        for (const src of srcs) {
          if (src === undefined) continue;
          const toks = tokenize(src);
          toks.forEach((t, i) => {
            const prev = toks[i - 1];
            if (prev?.k === "p" && prev.v === "|" && (t.k !== "id" || !FILTERS.includes(t.v))) {
              throw new TemplateError(`filter "${t.v}" is not supported`);
            }
          });
          try {
            const e = new Expr(toks, any);
            if (n.k === "expr") e.run();
            else e.condition();
          } catch (err) {
            if (err instanceof TemplateError && !/expected a number/.test(err.message)) throw err;
          }
        }
        if (n.k === "if") n.branches.forEach((b) => check(b.body));
      }
    };
    check(nodes);
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
  if (!m || /\{%|\{\{-|-\}\}/.test(t)) return render(tpl, scope);
  const v = new Expr(tokenize(m[1]), scope).run();
  return v === UNDEFINED ? undefined : v;
}

/**
 * Render a template to text (`{{ }}` segments replaced, `{% if %}` blocks chosen, the rest kept).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(render('{ "position": {{ position }} }', { position: 40 }), '{ "position": 40 }');
 * const on = '{"state": "on"{%- if brightness is defined -%}, "brightness": {{ brightness }}{%- endif -%}}';
 * assert.equal(render(on, { state: "on" }), '{"state": "on"}');
 * assert.equal(render(on, { state: "on", brightness: 128 }), '{"state": "on", "brightness": 128}');
 * ```
 */
export function render(tpl: string, scope: Scope): string {
  return run(parse(tpl), scope);
}
