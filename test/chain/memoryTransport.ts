// An in-process ClusterTransport for chain tests: N nodes on one "network"
// with switches to cut links (both directions) and to count what was sent.
// Cut links fail silently (a paused or partitioned peer); streamsClosed and
// flap report a closed stream as the gRPC transport does (a crashed peer, a
// reset connection), and probe answers as a redial would.
// Messages are structuredClone'd (as a wire would copy them) and delivered
// on a later turn of the event loop, never synchronously.

import assert from 'node:assert/strict';
import type { ClusterChannelHandler, ClusterPeer, ClusterTransport } from '../../src/cluster/types.js';
import { ServiceUnavailableError } from '../../src/chain/index.js';
import type { Message } from '../../src/raft/index.js';

export class MemoryNetwork {
  readonly #transports = new Map<number, MemoryTransport>();
  /** Cut links, as "a-b" with a < b. */
  readonly #cut = new Set<string>();
  /** "a>b": a's redials to b are refused (its stream to b broke) while messages still flow. */
  readonly #refused = new Set<string>();
  consensusSent = 0;
  consensusDropped = 0;

  transport(id: number): MemoryTransport {
    const t = new MemoryTransport(id, this);
    this.#transports.set(id, t);
    return t;
  }

  /** Cuts every link of `id` (both directions). */
  isolate(id: number): void {
    for (const other of this.#transports.keys()) if (other !== id) this.#cut.add(linkKey(id, other));
  }

  cutAll(): void {
    for (const a of this.#transports.keys()) this.isolate(a);
  }

  heal(): void {
    this.#cut.clear();
    this.#refused.clear();
  }

  /**
   * `id`'s process died: every other open node (or only those of `seenBy`, the
   * others later: a busy node reads the reset late) sees its streams close.
   */
  streamsClosed(id: number, seenBy?: readonly number[]): void {
    for (const [other, t] of this.#transports) if (other !== id && t.open && (seenBy === undefined || seenBy.includes(other))) t.reportLost(id);
  }

  /**
   * Node `a`'s own stream to `b` breaks while `b` is healthy and still reaches `a`.
   * With `redialRefused`, a's redials to b fail until heal(); else the first redial succeeds.
   */
  flap(a: number, b: number, options: { readonly redialRefused?: boolean } = {}): void {
    if (options.redialRefused === true) this.#refused.add(`${a}>${b}`);
    this.#transports.get(a)!.reportLost(b);
  }

  /** What a redial from `a` to `b` finds. */
  dialable(a: number, b: number): boolean {
    return this.connected(a, b) && !this.#refused.has(`${a}>${b}`);
  }

  connected(a: number, b: number): boolean {
    return !this.#cut.has(linkKey(a, b)) && this.#transports.get(b)?.open === true && this.#transports.get(a)?.open === true;
  }

  deliverConsensus(from: number, to: number, channelId: string, message: Message): void {
    this.consensusSent++;
    if (!this.connected(from, to)) {
      this.consensusDropped++;
      return;
    }
    const copy = structuredClone(message);
    setImmediate(() => {
      if (!this.connected(from, to)) return;
      this.#transports.get(to)!.handler(channelId)?.onConsensus(from, copy);
    });
  }

  /**
   * As the real transport: what a node forwards to one channel of a peer in
   * one turn arrives together, through onSubmitAll when the channel has it.
   */
  deliverSubmit(from: number, to: number, channelId: string, envelope: Uint8Array): Promise<void> {
    const key = `${from}>${to}/${channelId}`;
    return new Promise<void>((resolve, reject) => {
      let batch = this.#pendingSubmits.get(key);
      if (batch === undefined) {
        batch = [];
        this.#pendingSubmits.set(key, batch);
        setImmediate(() => {
          this.#pendingSubmits.delete(key);
          void this.#deliverSubmits(from, to, channelId, batch!);
        });
      }
      batch.push({ envelope: new Uint8Array(envelope), resolve, reject });
    });
  }

  readonly #pendingSubmits = new Map<string, PendingSubmit[]>();

  async #deliverSubmits(from: number, to: number, channelId: string, batch: readonly PendingSubmit[]): Promise<void> {
    const handler = this.#transports.get(to)?.handler(channelId);
    const refusal = !this.connected(from, to)
      ? new ServiceUnavailableError(`node ${to} is unreachable from node ${from}`)
      : handler === undefined
        ? new ServiceUnavailableError(`node ${to} does not serve channel "${channelId}"`)
        : undefined;
    if (refusal !== undefined || handler === undefined) {
      for (const submit of batch) submit.reject(refusal);
      return;
    }
    if (handler.onSubmitAll === undefined) {
      for (const submit of batch) handler.onSubmit(from, submit.envelope).then(submit.resolve, submit.reject);
      return;
    }
    const outcomes = await handler.onSubmitAll(
      from,
      batch.map((submit) => submit.envelope),
    );
    batch.forEach((submit, i) => (outcomes[i] === undefined ? submit.resolve() : submit.reject(outcomes[i])));
  }
}

interface PendingSubmit {
  readonly envelope: Uint8Array;
  resolve(): void;
  reject(err: unknown): void;
}

function linkKey(a: number, b: number): string {
  return a < b ? `${a}-${b}` : `${b}-${a}`;
}

export class MemoryTransport implements ClusterTransport {
  readonly #handlers = new Map<string, ClusterChannelHandler>();
  readonly #lostListeners: Array<(peer: number) => void> = [];
  open = true;
  probes = 0;
  forwarded = 0;

  constructor(
    readonly selfId: number,
    private readonly network: MemoryNetwork,
  ) {}

  handler(channelId: string): ClusterChannelHandler | undefined {
    return this.#handlers.get(channelId);
  }

  sendConsensus(channelId: string, to: number, message: Message): void {
    assert.notEqual(to, this.selfId, 'a node does not send to itself');
    this.network.deliverConsensus(this.selfId, to, channelId, message);
  }

  forwardSubmit(channelId: string, to: number, envelope: Uint8Array): Promise<void> {
    this.forwarded++;
    return this.network.deliverSubmit(this.selfId, to, channelId, envelope);
  }

  setHandler(channelId: string, handler: ClusterChannelHandler | undefined): void {
    if (handler === undefined) this.#handlers.delete(channelId);
    else this.#handlers.set(channelId, handler);
  }

  isReachable(peer: number): boolean {
    return this.network.dialable(this.selfId, peer);
  }

  onUnreachable(listener: (peer: number) => void): void {
    this.#lostListeners.push(listener);
  }

  /** A redial, answered on a later turn: refused (reported lost again) unless the peer is dialable. */
  probe(peer: number): void {
    this.probes++;
    setImmediate(() => {
      if (this.open && !this.network.dialable(this.selfId, peer)) this.reportLost(peer);
    });
  }

  /** The stream to `peer` broke (the network's events call this). */
  reportLost(peer: number): void {
    for (const listener of this.#lostListeners) listener(peer);
  }

  updatePeers(_peers: readonly ClusterPeer[]): void {
    assert.fail('updatePeers is not used by chain tests');
  }

  async close(): Promise<void> {
    this.open = false;
    this.#handlers.clear();
  }
}
