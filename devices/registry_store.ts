/**
 * The registry of the devices stage: loaded and checked at start (devices.area,
 * templates), and watched while it runs, so that imports re-subscribe the router's state
 * topics and hand listeners a rebuilt command grammar (debounced).
 * @module
 */
import type { Config } from "../core/config.ts";
import { buildCommandGrammar, type CommandGrammar } from "../intent/grammar.ts";
import { TemplateError } from "../intent/template.ts";
import { loadRegistry, Registry, RegistryError } from "../home/registry.ts";

/** A checked registry and the satellite's own area id. */
export interface OpenedRegistry {
  registry: Registry;
  /** The id of config devices.area (undefined when unset). */
  area?: string;
}

/**
 * Load config.devices.file (or take `given`) and check it: devices.area must name one of
 * its areas and its templates must build a grammar; errors name the file.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseConfig } from "../core/config.ts";
 * const file = "devices/example.devices.json";
 * const config = parseConfig({ devices: { file, area: "kitchen" } });
 * const { registry, area } = await openRegistry(config);
 * assert.equal(area, "kitchen");
 * assert.equal(registry.device("kitchen_light")?.name, "kitchen light");
 * ```
 */
export async function openRegistry(
  config: Pick<Config, "devices">,
  given?: Registry,
): Promise<OpenedRegistry> {
  const file = config.devices.file;
  const registry = given ?? (file ? await loadRegistry(file) : new Registry());
  const source = file ?? "registry";
  const wanted = config.devices.area;
  if (wanted !== undefined && !registry.area(wanted)) {
    throw new RegistryError(
      `devices.area: unknown area "${wanted}" (areas in ${source}: ${
        registry.areas.map((a) => a.id).join(", ") || "none"
      })`,
    );
  }
  try {
    buildCommandGrammar(registry);
  } catch (err) {
    if (err instanceof TemplateError) {
      throw new TemplateError(`${source}: templates: ${err.message}`);
    }
    throw err;
  }
  return { registry, area: wanted !== undefined ? registry.area(wanted)!.id : undefined };
}

/**
 * Registry changes -> `onChange` at once (the router re-subscribes) and, at most every
 * `debounceMs`, the rebuilt grammar to each listener; a failed rebuild goes to `onError`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { grammarWords } from "../core/grammar.ts";
 * import { loadRegistry } from "../home/registry.ts";
 * import type { CommandGrammar } from "../intent/grammar.ts";
 * const registry = await loadRegistry("devices/example.devices.json");
 * let changes = 0; // the runtime re-subscribes the state topics here
 * const watch = new GrammarWatch(registry, () => changes++, console.error, 20);
 * const rebuilt = new Promise<CommandGrammar>((resolve) => watch.listen(resolve));
 * const adapter = registry.device("kitchen_light")!.adapter;
 * registry.add({ name: "porch lamp", area: "kitchen", type: "light", adapter });
 * assert.ok(grammarWords(await rebuilt).has("porch"));
 * assert.equal(changes, 1);
 * watch.close();
 * ```
 */
export class GrammarWatch {
  #listeners = new Set<(g: CommandGrammar) => void>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #unsub: () => void;

  constructor(
    readonly registry: Registry,
    onChange: () => void,
    onError: (message: string) => void,
    debounceMs = 250,
  ) {
    this.#unsub = registry.onChange(() => {
      onChange();
      if (this.#timer || !this.#listeners.size) return;
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        let g: CommandGrammar;
        try {
          g = buildCommandGrammar(registry);
        } catch (err) {
          onError(`grammar rebuild failed: ${(err as Error).message}`);
          return;
        }
        for (const l of this.#listeners) l(g);
      }, debounceMs);
    });
  }

  /** The current grammar. */
  grammar(): CommandGrammar {
    return buildCommandGrammar(this.registry);
  }

  /** Call `listener` with each rebuilt grammar; returns the unsubscribe. */
  listen(listener: (g: CommandGrammar) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): void {
    clearTimeout(this.#timer);
    this.#unsub();
  }
}
