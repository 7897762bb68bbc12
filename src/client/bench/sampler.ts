// Once a second: the recorder's interval (counts, percentiles), each local
// node's CPU and RSS from /proc, each node's /metrics (leader, height), and
// the harness's own main-thread CPU.

import type { BucketSummary, Counts, Recorder } from './recorder.js';
import { readAnonBytes, readMainThread, readProc, type ProcReading } from './procStat.js';
import { scrapeNode, type NodeScrape } from './nodeScrape.js';
import type { BenchTarget } from './targets.js';

export interface NodeSample {
  readonly id: number;
  /** CPU of the whole process over the interval, % of one core; undefined when unknown (external, down). */
  readonly cpuPct: number | undefined;
  readonly rssMb: number | undefined;
  /** Resident less shared pages (see readAnonBytes): what a leak grows, unlike the ledger's mapped pages. */
  readonly anonMb?: number | undefined;
  readonly isLeader: boolean | undefined;
  /** Committed height (blocks, genesis included). */
  readonly height: number | undefined;
}

export interface SecondSample extends BucketSummary {
  /** Runs over several channels: each channel's counts over the interval, in the target's channel order. */
  readonly channels?: Counts[];
  /** End of the interval, seconds since the run's start. */
  readonly t: number;
  readonly intervalS: number;
  readonly phase: string;
  readonly harnessCpuPct: number | undefined;
  readonly nodes: NodeSample[];
}

export class Sampler {
  readonly samples: SecondSample[] = [];
  /** The last /metrics scrape of each node. */
  readonly lastScrape = new Map<number, NodeScrape>();
  readonly #previousProc = new Map<number, { pid: number; reading: ProcReading }>();
  #previousHarness = readMainThread();
  #lastMs: number;
  #timer: NodeJS.Timeout | undefined;
  #scraping: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly target: BenchTarget,
    private readonly recorder: Recorder,
    private readonly startMs: number,
    private readonly phaseName: () => string,
    private readonly onSample: (sample: SecondSample) => void,
    /** Read each node's /proc and /metrics every second (off: the samples have the harness's counts only). */
    private readonly watchNodes = true,
  ) {
    this.#lastMs = startMs;
    for (const node of target.nodes) this.#procDelta(node.id, node.pid());
  }

  start(): void {
    this.#timer = setInterval(() => this.sample(), 1000);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#scraping;
  }

  /** Takes the interval now; the /metrics part is filled in when the scrapes answer. */
  sample(): void {
    const now = performance.now();
    const intervalS = (now - this.#lastMs) / 1000;
    this.#lastMs = now;
    const summary = this.recorder.takeSecond();
    const harness = readMainThread();
    const harnessCpuPct = harness && this.#previousHarness ? (harness.cpuUs - this.#previousHarness.cpuUs) / 1e4 / intervalS : undefined;
    this.#previousHarness = harness;
    if (!this.watchNodes) {
      const sample: SecondSample = { ...summary, t: (now - this.startMs) / 1000, intervalS, phase: this.phaseName(), harnessCpuPct, nodes: [] };
      this.samples.push(sample);
      this.onSample(sample);
      return;
    }
    const nodes: NodeSample[] = this.target.nodes.map((node) => {
      const delta = this.#procDelta(node.id, node.pid());
      return {
        id: node.id,
        cpuPct: delta === undefined ? undefined : delta.cpuUs / 1e4 / intervalS,
        rssMb: delta === undefined ? undefined : delta.rssBytes / (1024 * 1024),
        anonMb: delta?.anonBytes === undefined ? undefined : delta.anonBytes / (1024 * 1024),
        isLeader: undefined,
        height: undefined,
      };
    });
    const sample: SecondSample = { ...summary, t: (now - this.startMs) / 1000, intervalS, phase: this.phaseName(), harnessCpuPct, nodes };
    this.samples.push(sample);
    this.#scraping = Promise.all(
      this.target.nodes.map(async (node, i) => {
        if (node.operations === undefined) return;
        const scrape = await scrapeNode(node.operations, this.target.channelId);
        if (scrape === undefined) return;
        this.lastScrape.set(node.id, scrape);
        nodes[i] = { ...nodes[i]!, isLeader: scrape.isLeader, height: scrape.committedBlockNumber === undefined ? undefined : scrape.committedBlockNumber + 1 };
      }),
    ).then(() => this.onSample(sample));
  }

  /** CPU used since the last reading of this node's process, and its RSS now. */
  #procDelta(id: number, pid: number | undefined): { cpuUs: number; rssBytes: number; anonBytes: number | undefined } | undefined {
    if (pid === undefined) {
      this.#previousProc.delete(id);
      return undefined;
    }
    const reading = readProc(pid);
    if (reading === undefined) return undefined;
    const previous = this.#previousProc.get(id);
    this.#previousProc.set(id, { pid, reading });
    // A restarted node is a new process: its CPU counts from zero.
    const base = previous !== undefined && previous.pid === pid ? previous.reading.cpuUs : 0;
    return { cpuUs: reading.cpuUs - base, rssBytes: reading.rssBytes, anonBytes: readAnonBytes(pid) };
  }
}
