// The live view of `npm start`: once a second, committed tx/s and blocks/s
// (counted from a Deliver stream, so only what is committed counts), the
// current leader and each node's height (from its /metrics); the samples come
// from the load harness (demo.ts). On a terminal the lines refresh in place;
// otherwise one line per second is printed. CommitCounter counts delivered
// blocks for bench:cluster.

import type { Block } from '../../block/index.js';

export interface LiveSample {
  readonly elapsedS: number;
  readonly txPerSec: number;
  readonly blocksPerSec: number;
  readonly leader: number | undefined;
  /** Height (committed blocks, genesis included) per node id; undefined when the node does not answer. */
  readonly heights: ReadonlyMap<number, number | undefined>;
  readonly acknowledged: number;
  readonly refused: number;
}

/** Counts delivered blocks and their envelopes between samples. */
export class CommitCounter {
  #blocks = 0;
  #txs = 0;

  onBlock = (block: Block): void => {
    this.#blocks++;
    this.#txs += block.data.length;
  };

  /** Counts since the last call, then resets. */
  take(): { blocks: number; txs: number } {
    const counts = { blocks: this.#blocks, txs: this.#txs };
    this.#blocks = 0;
    this.#txs = 0;
    return counts;
  }
}

export function renderSample(s: LiveSample): string[] {
  const heights = [...s.heights].map(([id, h]) => `node${id}=${h ?? 'down'}`).join('  ');
  return [
    `t=${s.elapsedS.toFixed(0).padStart(4)}s  committed ${s.txPerSec.toFixed(0).padStart(6)} tx/s  ${s.blocksPerSec.toFixed(1).padStart(5)} blocks/s  leader: ${s.leader === undefined ? 'none' : `node${s.leader}`}`,
    `        heights: ${heights}   (broadcast: ${s.acknowledged} acknowledged, ${s.refused} refused)`,
  ];
}

/** Writes `lines` over the previous ones on a terminal, or appends them otherwise. */
export class LinePainter {
  #previous = 0;

  constructor(private readonly out: NodeJS.WriteStream = process.stdout) {}

  paint(lines: readonly string[]): void {
    if (!this.out.isTTY) {
      this.out.write(`${lines.join(' | ')}\n`);
      return;
    }
    const up = this.#previous > 0 ? `\x1b[${this.#previous}A` : '';
    this.out.write(`${up}${lines.map((line) => `\x1b[2K${line}`).join('\n')}\n`);
    this.#previous = lines.length;
  }
}
