/**
 * The Jinja subset of Home Assistant discovery templates: `{% if %}` blocks with whitespace
 * control, as HA's MQTT light docs write them, and the syntax that is refused by name.
 */
import assert from "node:assert/strict";
import { evaluate, render, supported, TemplateError } from "../../devices/adapters/jinja.ts";

Deno.test("{%- if x is defined -%} blocks: whitespace control strips around the tags, undefined names drop the block", () => {
  const tpl =
    '{"state": "{{ state }}"\n{%- if brightness is defined -%}\n, "brightness": {{ brightness }}\n{%- endif -%}\n}';
  assert.equal(render(tpl, { state: "on" }), '{"state": "on"}');
  assert.equal(render(tpl, { state: "on", brightness: 7 }), '{"state": "on", "brightness": 7}');
  const both =
    "{% if red is defined and green is defined %}rg{% elif red is defined %}r{% else %}-{% endif %}";
  assert.equal(render(both, { red: 1, green: 2 }), "rg");
  assert.equal(render(both, { red: 1 }), "r");
  assert.equal(render(both, {}), "-");
  assert.equal(render("{% if not x or y is not defined %}a{% endif %}", { x: 1 }), "a");
  assert.equal(render("{% if x is none %}n{% endif %}", { x: null }), "n");
  // Truthiness on a payload: HA's '{%- if value_json.ison %}on{% else %}off{% endif %}'.
  const ison = "{%- if value_json.ison %}on{% else %}off{% endif %}";
  assert.equal(evaluate(ison, { value_json: { ison: true } }), "on");
  assert.equal(evaluate(ison, { value_json: { ison: false } }), "off");
  assert.equal(evaluate(ison, { value_json: {} }), "off");
  assert.equal(render("a {{- ' b ' -}} c", {}), "a b c");
  // Outside conditions an unknown name is still an error, never an empty string.
  assert.throws(() => render("{{ brightness }}", {}), /unknown variable "brightness"/);
});

Deno.test("unsupported or broken {% %} syntax is refused by supported() and named by render()", () => {
  const bad: Array<[string, RegExp]> = [
    ["{% for x in value %}{{ x }}{% endfor %}", /\{% for x in value %\} is not supported/],
    ["{% if x %}a", /\{% if %\} without \{% endif %\}/],
    ["a{% endif %}", /\{% endif %\} without \{% if %\}/],
    ["{% if x %}a{% else %}b{% else %}c{% endif %}", /after \{% else %\}/],
    ["{% if x is odd %}a{% endif %}", /test "is odd" is not supported/],
    ["{% if x == 1 %}a{% endif %}", /cannot read " == 1"/],
    ["{% set x = 1 %}", /\{% set x = 1 %\} is not supported/],
  ];
  for (const [tpl, re] of bad) {
    assert.equal(supported(tpl), false, tpl);
    assert.throws(
      () => render(tpl, { x: 1, value: [1] }),
      (e) => e instanceof TemplateError && re.test(e.message),
      tpl,
    );
  }
  // A filter earshot lacks is refused before any value exists, even inside an if block.
  assert.equal(supported("{% if b is defined %}{{ b | float | multiply(2) }}{% endif %}"), false);
  assert.equal(supported("{% if b is defined %}{{ b | float | round(0) }}{% endif %}"), true);
  assert.equal(supported("{# a comment #}{{ value }}"), true);
});
