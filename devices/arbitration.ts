/**
 * Multi-satellite arbitration: when several earshot instances (siteIds) on
 * one broker wake on the same utterance, each publishes a claim
 * `<prefix>/arbitration/claim` {siteId, sessionId, score} and collects the
 * claims that arrive within the window (default 150 ms) around its own. The
 * best score wins (ties: the smaller siteId), so every instance reaches the
 * same decision without a coordinator; losers stay silent for that utterance.
 * @module
 */

/** One claim on the bus. */
export interface Claim {
  siteId: string;
  sessionId: string;
  score: number;
}

/** The decision for one local wake. */
export interface Decision {
  sessionId: string;
  won: boolean;
  winner: Claim;
  /** Every claim considered (own included). */
  claims: Claim[];
}

/** Claim ordering: higher score first, then smaller siteId. */
export function better(a: Claim, b: Claim): boolean {
  return a.score > b.score || (a.score === b.score && a.siteId < b.siteId);
}

/** Parse a claim payload; null when malformed. */
export function parseClaim(payload: string): Claim | null {
  try {
    const o = JSON.parse(payload);
    if (
      o && typeof o.siteId === "string" && o.siteId && typeof o.sessionId === "string" &&
      typeof o.score === "number" && Number.isFinite(o.score)
    ) return { siteId: o.siteId, sessionId: o.sessionId, score: o.score };
  } catch { /* malformed */ }
  return null;
}

/** Collects claims and decides; the clock is injectable for tests. */
export class Arbiter {
  #recent: Array<{ claim: Claim; at: number }> = [];
  constructor(
    readonly siteId: string,
    readonly windowMs: number,
    readonly publish: (claim: Claim) => void,
    readonly now: () => number = () => performance.now(),
  ) {}

  /** A claim from the bus (own claims echoed by the broker are ignored). */
  receive(claim: Claim): void {
    if (claim.siteId === this.siteId) return;
    const at = this.now();
    this.#recent.push({ claim, at });
    this.#recent = this.#recent.filter((c) => at - c.at <= this.windowMs * 4);
  }

  /**
   * A local wake: publish our claim, wait out the window, decide. With a
   * window of 0 (single satellite) it wins at once.
   */
  async wake(sessionId: string, score: number): Promise<Decision> {
    const own: Claim = { siteId: this.siteId, sessionId, score };
    const start = this.now();
    this.publish(own);
    if (this.windowMs > 0) await new Promise((r) => setTimeout(r, this.windowMs));
    const claims = [
      own,
      ...this.#recent.filter((c) => Math.abs(c.at - start) <= this.windowMs).map((c) => c.claim),
    ];
    // One claim per site (the best), so a chatty peer cannot count twice.
    const bySite = new Map<string, Claim>();
    for (const c of claims) {
      const prev = bySite.get(c.siteId);
      if (!prev || better(c, prev)) bySite.set(c.siteId, c);
    }
    let winner = own;
    for (const c of bySite.values()) if (better(c, winner)) winner = c;
    return { sessionId, won: winner.siteId === this.siteId, winner, claims: [...bySite.values()] };
  }
}
