/**
 * Wake sensitivity (0 least, 1 most sensitive; Home Assistant's `number` entity) to the
 * threshold that decides a wake: 0.5 keeps the model's own threshold (its entry's, the one
 * tuned at training, or the verifier's calibrated one), above 0.5 the threshold falls
 * linearly to `minThreshold` at 1, below 0.5 it rises linearly to `maxThreshold` at 0. A
 * model threshold outside [minThreshold, maxThreshold] stays the end it lies beyond.
 * @module
 */

/** The bounds of the mapping (config `wake.minThreshold`, `wake.maxThreshold`). */
export interface SensitivityBounds {
  minThreshold: number;
  maxThreshold: number;
}

/**
 * The deciding threshold for `sensitivity`, from the model's own threshold `base`.
 * @throws RangeError when `sensitivity` is not a number in [0, 1].
 * @example
 * ```ts
 * const b = { minThreshold: 0.1, maxThreshold: 0.9 };
 * sensitivityThreshold(0.5, 0.5, b); // 0.5: the model's own
 * sensitivityThreshold(0.5, 1, b); // 0.1
 * sensitivityThreshold(0.5, 0.75, b); // 0.3
 * sensitivityThreshold(0.5, 0, b); // 0.9
 * ```
 */
export function sensitivityThreshold(
  base: number,
  sensitivity: number,
  bounds: SensitivityBounds,
): number {
  if (!Number.isFinite(sensitivity) || sensitivity < 0 || sensitivity > 1) {
    throw new RangeError(`wake sensitivity must be a number from 0 to 1 (got ${sensitivity})`);
  }
  const lo = Math.min(bounds.minThreshold, base);
  const hi = Math.max(bounds.maxThreshold, base);
  const t = sensitivity >= 0.5
    ? base - (sensitivity - 0.5) * 2 * (base - lo)
    : base + (0.5 - sensitivity) * 2 * (hi - base);
  return Math.round(t * 1e6) / 1e6;
}
