/**
 * Small numeric helpers shared across the layers.
 * @module
 */

/**
 * `x` rounded to 3 decimals, as events, reports and slot values print it.
 *
 * @example
 * ```ts
 * round3(0.123456); // 0.123
 * ```
 */
export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
