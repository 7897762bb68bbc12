// The longest silences of a stream of events (acknowledgements, delivered
// blocks): kept online, so the report can name the unavailability window
// around each fault without storing every event time.

const KEPT = 32;

export interface Gap {
  readonly fromMs: number;
  readonly toMs: number;
}

export class GapTracker {
  readonly #minMs: number;
  #lastMs: number | undefined;
  readonly #gaps: Gap[] = [];

  /** Silences shorter than `minMs` are not kept. */
  constructor(minMs = 100) {
    this.#minMs = minMs;
  }

  /** Starts counting from `ms` (the run's start), so a silence from the start counts too. */
  start(ms: number): void {
    this.#lastMs = ms;
  }

  event(ms: number): void {
    const last = this.#lastMs;
    this.#lastMs = ms;
    if (last === undefined || ms - last < this.#minMs) return;
    this.#gaps.push({ fromMs: last, toMs: ms });
    if (this.#gaps.length > KEPT * 2) {
      this.#gaps.sort((a, b) => b.toMs - b.fromMs - (a.toMs - a.fromMs));
      this.#gaps.length = KEPT;
    }
  }

  /** The longest silence overlapping [fromMs, toMs]; a silence still going on at `nowMs` counts up to it. */
  longestWithin(fromMs: number, toMs: number, nowMs: number): Gap | undefined {
    const open = this.#lastMs !== undefined && nowMs - this.#lastMs >= this.#minMs ? [{ fromMs: this.#lastMs, toMs: nowMs }] : [];
    let best: Gap | undefined;
    for (const gap of [...this.#gaps, ...open]) {
      if (gap.toMs < fromMs || gap.fromMs > toMs) continue;
      if (best === undefined || gap.toMs - gap.fromMs > best.toMs - best.fromMs) best = gap;
    }
    return best;
  }
}
