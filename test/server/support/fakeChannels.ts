// In-memory channels implementing the ChannelSupport contract for server
// tests: blocks appended by the test, submits recorded, and switches to hold
// or fail submits so ordering and backpressure can be observed.

import { encodeBlock, readEnvelopeFields, type Block } from '../../../src/block/index.js';
import { transaction } from './envelopes.js';
import type { ChannelRegistry, ChannelStatus, ChannelSupport, DeliverAuthorization, SubmitOptions, SubmitResult } from '../../../src/chain/types.js';
import { decodePem } from '../../../src/crypto/pem.js';
import { parseCertificate } from '../../../src/crypto/x509/certificate.js';

export const TEST_ABSOLUTE_MAX_BYTES = 4096;
/** The only MSP allowed to Deliver from fake channels. */
export const DELIVER_MSP_ID = 'Org1MSP';

export class FakeChannel implements ChannelSupport {
  readonly channelId: string;
  readonly blocks: Uint8Array[] = [];
  /** Envelopes accepted, in the order submit() was called with them. */
  readonly submitted: Uint8Array[] = [];
  /** The options of every submit() call, in call order. */
  readonly submitOptions: (SubmitOptions | undefined)[] = [];
  leaderId = 1;
  /** While set, submits wait for it: tests release them in any order. */
  holdSubmits: ((envelope: Uint8Array) => Promise<void>) | undefined;
  /** While set, submit() throws (a contract violation the server must survive). */
  failSubmitsWith: Error | undefined;
  /** Number of submit() calls in progress, and the most ever at once. */
  inFlight = 0;
  inFlightPeak = 0;
  /** Take ownership of every Deliver request buffer handed in, as a chain transferring it to a worker may. */
  detachInputs = false;
  /** Signals passed to waitForBlock, to see that cancellation reaches the channel. */
  readonly waitSignals: AbortSignal[] = [];
  readonly #waiters = new Set<{ number: number; resolve: () => void; reject: (error: Error) => void }>();

  constructor(channelId: string, initialBlocks: number) {
    this.channelId = channelId;
    for (let i = 0; i < initialBlocks; i++) this.appendBlock();
  }

  /** Appends block number height() carrying one transaction envelope. */
  appendBlock(data: readonly Uint8Array[] = [transaction(this.channelId, `tx of block ${this.blocks.length}`)]): void {
    const number = this.blocks.length;
    const block: Block = {
      header: { number, previousHash: new Uint8Array(32).fill(number), dataHash: new Uint8Array(32).fill(255 - (number % 256)) },
      data,
      metadata: [new Uint8Array(0), new Uint8Array(0), new Uint8Array(0), new Uint8Array(0), new Uint8Array(0)],
    };
    this.blocks.push(encodeBlock(block));
    for (const waiter of this.#waiters) {
      if (waiter.number < this.blocks.length) {
        this.#waiters.delete(waiter);
        waiter.resolve();
      }
    }
  }

  async submit(input: Uint8Array, options?: SubmitOptions): Promise<SubmitResult> {
    if (this.failSubmitsWith) throw this.failSubmitsWith;
    this.submitOptions.push(options);
    // Kept as lent (a view into the server's receive buffer), as a chain keeps it until ordered.
    const envelope = input;
    this.inFlight++;
    this.inFlightPeak = Math.max(this.inFlightPeak, this.inFlight);
    try {
      const fields = readEnvelopeFields(envelope);
      if (envelope.length > TEST_ABSOLUTE_MAX_BYTES) {
        return { status: 'BAD_REQUEST', info: `message payload is ${envelope.length} bytes and exceeds maximum allowed ${TEST_ABSOLUTE_MAX_BYTES} bytes` };
      }
      if (fields.signature.length === 0) return { status: 'FORBIDDEN', info: 'envelope has no signature' };
      if (this.leaderId === 0) return { status: 'SERVICE_UNAVAILABLE', info: 'no Raft leader' };
      if (this.holdSubmits) await this.holdSubmits(envelope);
      this.submitted.push(envelope);
      return { status: 'SUCCESS', info: '' };
    } finally {
      this.inFlight--;
    }
  }

  /** Envelope by envelope through submit(), so holds, failures and in-flight counts apply to each. */
  submitAll(inputs: readonly Uint8Array[], options?: SubmitOptions): Promise<SubmitResult[]> {
    return Promise.all(inputs.map((input) => this.submit(input, options)));
  }

  async authorizeDeliver(input: Uint8Array): Promise<DeliverAuthorization> {
    const envelope = this.#take(input);
    const fields = readEnvelopeFields(envelope);
    if (fields.creatorMspId !== DELIVER_MSP_ID) {
      return { status: 'FORBIDDEN', info: `creator MSP "${fields.creatorMspId}" may not read channel ${this.channelId}` };
    }
    const pem = new TextDecoder().decode(fields.creatorIdBytes);
    // Most fake requests carry a marker, not a certificate: no end to their session.
    if (!pem.startsWith('-----BEGIN CERTIFICATE-----')) return { status: 'SUCCESS', info: '' };
    // As a chain does: the validity of the certificate it checked ends the session.
    const certificate = parseCertificate(decodePem(pem, ['CERTIFICATE']).der);
    return { status: 'SUCCESS', info: '', validUntilMs: certificate.notAfter.getTime() };
  }

  /**
   * With detachInputs: a copy is kept and the caller's bytes are wiped, which
   * is what a caller still reading them would see after a transfer (pooled
   * buffers cannot really be detached, so wiping is the portable stand-in).
   */
  #take(input: Uint8Array): Uint8Array {
    if (!this.detachInputs) return input;
    const kept = new Uint8Array(input);
    input.fill(0);
    return kept;
  }

  height(): number {
    return this.blocks.length;
  }

  block(number: number): Uint8Array {
    const block = this.blocks[number];
    if (block === undefined) throw new RangeError(`block ${number} is beyond height ${this.blocks.length}`);
    return block;
  }

  /** In two pieces, as a chain holds a block assembled from its Raft entry and its metadata. */
  blockPieces(number: number): readonly Uint8Array[] {
    const block = this.block(number);
    const cut = block.length >> 1;
    return [block.subarray(0, cut), block.subarray(cut)];
  }

  waitForBlock(number: number, signal?: AbortSignal): Promise<void> {
    if (number < this.blocks.length) return Promise.resolve();
    if (signal) this.waitSignals.push(signal);
    return new Promise((resolve, reject) => {
      const waiter = { number, resolve, reject };
      this.#waiters.add(waiter);
      signal?.addEventListener('abort', () => {
        this.#waiters.delete(waiter);
        reject(new Error('wait aborted'));
      });
    });
  }

  /** Rejects every waiter, as a closing chain does. */
  closeWaiters(): void {
    for (const waiter of this.#waiters) {
      this.#waiters.delete(waiter);
      waiter.reject(new Error(`channel ${this.channelId} is closed`));
    }
  }

  get waiterCount(): number {
    return this.#waiters.size;
  }

  status(): ChannelStatus {
    return {
      channelId: this.channelId,
      nodeId: 1,
      leaderId: this.leaderId,
      isLeader: this.leaderId === 1,
      height: this.blocks.length,
      raftTerm: 1,
      clusterSize: 1,
    };
  }
}

export class FakeRegistry implements ChannelRegistry {
  readonly #channels = new Map<string, FakeChannel>();

  constructor(channels: readonly FakeChannel[]) {
    for (const channel of channels) this.#channels.set(channel.channelId, channel);
  }

  get(channelId: string): FakeChannel | undefined {
    return this.#channels.get(channelId);
  }

  list(): readonly FakeChannel[] {
    return [...this.#channels.values()];
  }
}
