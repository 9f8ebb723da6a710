/**
 * Device state tracking for the closed loop: the latest reported state of
 * every device, and waiters that resolve when a report satisfies a command's
 * expectation (or time out).
 * @module
 */
import type { Command, DeviceState } from "./adapters/types.ts";

/** A tracked state with the wall-clock times of the last report and the last change. */
export interface TrackedState extends DeviceState {
  /** ISO time of the last report (a report repeating the state counts). */
  updatedAt?: string;
  /** ISO time of the last report that changed a field. */
  changedAt?: string;
}

/** Whether merging `partial` into `before` changes a field (availableBy compared by value). */
function changes(before: DeviceState | undefined, partial: DeviceState): boolean {
  if (!before) return true;
  return Object.entries(partial).some(([k, v]) => {
    const old = (before as Record<string, unknown>)[k];
    return typeof v === "object" && v !== null
      ? JSON.stringify(v) !== JSON.stringify(old)
      : v !== old;
  });
}

/** Whether the merged state (after a report carrying `partial`) shows the command took effect. */
export type Expectation = (state: DeviceState, partial: DeviceState) => boolean;

const near = (a: number | undefined, b: number, tol: number) =>
  a !== undefined && Math.abs(a - b) <= tol;

/**
 * What a device must report for `cmd` to count as confirmed; null when the
 * command has no observable state (scenes).
 */
export function expectationFor(cmd: Command, before: DeviceState): Expectation | null {
  switch (cmd.kind) {
    case "on":
      return (s) => s.on === true;
    case "off":
      return (s) => s.on === false;
    case "toggle":
      return before.on === undefined ? (_s, p) => p.on !== undefined : (s) => s.on === !before.on;
    case "brightness":
      return cmd.value <= 0
        ? (s) => s.on === false || s.brightness === 0
        : (s) => s.on !== false && near(s.brightness, cmd.value, 2);
    case "colorTemp":
      return (s) => near(s.colorTemp, cmd.value, Math.max(50, cmd.value * 0.03));
    case "temperature":
      return (s) => near(s.temperature, cmd.value, 0.5);
    case "open":
      return (s) => (s.position ?? -1) >= 99;
    case "close":
      return (s) => s.position !== undefined && s.position <= 1;
    case "position":
      return (s) => near(s.position, cmd.value, 2);
    case "stop":
      return (_s, p) => p.position !== undefined;
    case "speed":
      return cmd.value <= 0
        ? (s) => s.on === false || s.speed === 0
        : (s) => near(s.speed, cmd.value, 17);
    case "activate":
      return null;
  }
}

interface Waiter {
  id: string;
  expect: Expectation;
  resolve: (state: DeviceState) => void;
}

/** Latest state per device id, with change listeners and expectation waiters. */
export class DeviceStates {
  #states = new Map<string, { state: DeviceState; updatedAt: number; changedAt: number }>();
  #waiters = new Set<Waiter>();
  #listeners = new Set<(id: string, state: DeviceState, partial: DeviceState) => void>();

  /** The current state (empty object when nothing was reported). */
  get(id: string): DeviceState {
    return { ...this.#states.get(id)?.state };
  }

  /** Merge a report into a device's state and wake matching waiters. */
  update(id: string, partial: DeviceState, now = Date.now()): void {
    const prev = this.#states.get(id);
    const state = { ...prev?.state, ...partial };
    const changedAt = prev && !changes(prev.state, partial) ? prev.changedAt : now;
    this.#states.set(id, { state, updatedAt: now, changedAt });
    for (const w of [...this.#waiters]) {
      if (w.id === id && w.expect(state, partial)) {
        this.#waiters.delete(w);
        w.resolve(state);
      }
    }
    for (const l of this.#listeners) l(id, state, partial);
  }

  /** Listen to every update; returns the unsubscribe function. */
  onUpdate(fn: (id: string, state: DeviceState, partial: DeviceState) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /**
   * Register a waiter now; it resolves with the state when a report meets the
   * expectation. `cancel` removes it (on timeout or a dropped command).
   */
  expect(id: string, expect: Expectation): { promise: Promise<DeviceState>; cancel: () => void } {
    let waiter!: Waiter;
    const promise = new Promise<DeviceState>((resolve) => {
      waiter = { id, expect, resolve };
    });
    this.#waiters.add(waiter);
    return { promise, cancel: () => this.#waiters.delete(waiter) };
  }

  /** Number of pending waiters (tests, status). */
  get pending(): number {
    return this.#waiters.size;
  }

  /** All states with their report and change times. */
  snapshot(): Record<string, TrackedState> {
    const out: Record<string, TrackedState> = {};
    for (const [id, { state, updatedAt, changedAt }] of this.#states) {
      out[id] = {
        ...state,
        updatedAt: new Date(updatedAt).toISOString(),
        changedAt: new Date(changedAt).toISOString(),
      };
    }
    return out;
  }

  /** Forget a device (removed from the registry). */
  delete(id: string): void {
    this.#states.delete(id);
  }
}
