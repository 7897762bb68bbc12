// The Broadcast stream: one BroadcastResponse per Envelope, in request order.
//
// A client may pipeline: envelopes are submitted as they arrive, up to
// `outstandingMax` per stream awaiting their verdict; at the bound the read
// side pauses (HTTP/2 flow control then pushes back on the client) and
// resumes as verdicts are written. A bad envelope gets its status and the
// stream goes on (Fabric ends the stream there; we don't).

import assert from 'node:assert/strict';
import type { LabelValues } from 'prom-client';
import type { Logger } from 'pino';
import { encodeBroadcastResponse, HeaderType, MalformedMessageError, readEnvelopeRouting, Status } from '../block/index.js';
import type { ChannelRegistry, ChannelSupport, SubmitOptions, SubmitResult } from '../chain/index.js';
import { ACK_HEADER, ackChoiceOf } from './ackChoice.js';
import type { StreamCall } from './serverCall.js';
import { truncate } from './clientText.js';
import type { ServerMetrics } from './metrics.js';

export interface BroadcastContext {
  readonly channels: ChannelRegistry;
  readonly metrics: ServerMetrics;
  readonly logger: Logger;
  /** Envelopes of one stream submitted but not yet answered; validated positive by the server's options. */
  readonly outstandingMax: number;
  /** When SUCCESS is answered unless the stream's `orderer-ack` header says otherwise (ackChoice.ts). */
  readonly ack: Required<SubmitOptions>;
}

interface Verdict {
  readonly status: Status;
  readonly info: string;
}

/** The envelopes of one stream read in one event-loop turn, answered together. */
interface Burst {
  /** One per envelope, in request order; filled when `settled` resolves. */
  readonly verdicts: Verdict[];
  /** Never rejects: every failure became a verdict. */
  readonly settled: Promise<void>;
}

enum StreamState {
  Open,
  /** The client half-closed: answer what is outstanding, then end. */
  InputEnded,
  /** Ended, cancelled or failed: nothing more is written. */
  Closed,
}

/** The verdict most envelopes get, shared. */
const SUCCESS_VERDICT: Verdict = Object.freeze({ status: Status.SUCCESS, info: '' });

/** The encoded answer most envelopes get, made once (framing copies it). */
const SUCCESS_RESPONSE = encodeBroadcastResponse({ status: Status.SUCCESS, info: '' });

export function serveBroadcast(call: StreamCall, context: BroadcastContext): void {
  new BroadcastStream(call, context).start();
}

class BroadcastStream {
  readonly #call: StreamCall;
  readonly #context: BroadcastContext;
  /** Bursts submitted and not yet answered, in request order. */
  readonly #bursts: Burst[] = [];
  /** Envelopes read in this turn, submitted together once the turn's reads are done. */
  #reading: Buffer[] = [];
  /** Envelopes received and not yet answered. Invariant: <= outstandingMax while reading is not paused. */
  #outstanding = 0;
  #state = StreamState.Open;
  #readPaused = false;
  #draining = false;
  /** Resolves a pending wait for the transport to drain (or for the stream to close). */
  #wakeWriter: (() => void) | undefined;
  /** The stream's acknowledgement choice, or why its header is refused (every envelope answered BAD_REQUEST). */
  readonly #ack: SubmitOptions | string;

  constructor(call: StreamCall, context: BroadcastContext) {
    this.#call = call;
    this.#context = context;
    this.#ack = ackChoiceOf(call.headerValues(ACK_HEADER), context.ack);
  }

  start(): void {
    const call = this.#call;
    call.on('data', (bytes: Buffer) => this.#onEnvelope(bytes));
    call.on('end', () => {
      if (this.#state === StreamState.Open) this.#state = StreamState.InputEnded;
      this.#finishIfDone();
    });
    call.on('drain', () => this.#wake());
    call.on('cancelled', () => this.#close('cancelled by the client'));
    call.on('error', (error: Error) => this.#close(`stream error: ${error.message}`));
  }

  #onEnvelope(bytes: Buffer): void {
    if (this.#state !== StreamState.Open) return;
    // Messages come one 'data' event each, from one or several reads of this
    // turn: setImmediate runs once the turn's reads are all in.
    if (this.#reading.length === 0) setImmediate(() => this.#submitBurst());
    this.#reading.push(bytes);
    this.#outstanding++;
    if (this.#outstanding >= this.#context.outstandingMax && !this.#readPaused) {
      this.#readPaused = true;
      this.#call.pause();
    }
  }

  #submitBurst(): void {
    const envelopes = this.#reading;
    this.#reading = [];
    // Submitted even if the stream closed meanwhile: what was read is ordered, as when each envelope went on its own.
    const ack = this.#ack;
    const verdicts: Verdict[] = new Array(envelopes.length);
    const settled =
      typeof ack === 'string'
        ? Promise.resolve(void verdicts.fill({ status: Status.BAD_REQUEST, info: ack }))
        : processBurst(envelopes, verdicts, this.#context, ack).catch((error: unknown) => void verdicts.fill(this.#internalError(error)));
    this.#bursts.push({ verdicts, settled });
    if (!this.#draining) void this.#drain();
  }

  /** Writes each burst's answers in order once it is settled; the only writer of the stream. */
  async #drain(): Promise<void> {
    this.#draining = true;
    while (this.#bursts.length > 0 && this.#state !== StreamState.Closed) {
      const burst = this.#bursts[0]!;
      await burst.settled;
      this.#bursts.shift();
      if (this.#isClosed()) break;
      // One write for the burst's answers (one buffer, one HTTP/2 stream write).
      const flushed = this.#call.writeAll(burst.verdicts.map(responseOf));
      this.#outstanding -= burst.verdicts.length;
      if (!flushed) await new Promise<void>((resolve) => (this.#wakeWriter = resolve));
      if (this.#readPaused && this.#outstanding < this.#context.outstandingMax && this.#state === StreamState.Open) {
        this.#readPaused = false;
        this.#call.resume();
      }
    }
    this.#draining = false;
    this.#finishIfDone();
  }

  /** A bug below the server (an assertion) answers the burst's envelopes, not the whole stream. */
  #internalError(error: unknown): Verdict {
    this.#context.logger.error({ err: error }, 'broadcast envelope processing failed');
    return { status: Status.INTERNAL_SERVER_ERROR, info: 'internal error while processing the envelope' };
  }

  /** Re-read after each await: the stream may have closed meanwhile. */
  #isClosed(): boolean {
    return this.#state === StreamState.Closed;
  }

  #finishIfDone(): void {
    if (this.#state !== StreamState.InputEnded || this.#draining || this.#outstanding > 0) return;
    this.#state = StreamState.Closed;
    this.#call.end();
  }

  #close(reason: string): void {
    if (this.#state === StreamState.Closed) return;
    this.#state = StreamState.Closed;
    this.#context.logger.debug({ peer: this.#call.getPeer(), reason, unanswered: this.#outstanding }, 'broadcast stream closed');
    this.#wake();
  }

  #wake(): void {
    const wake = this.#wakeWriter;
    this.#wakeWriter = undefined;
    wake?.();
  }
}

function responseOf(verdict: Verdict): Uint8Array {
  if (verdict.status === Status.SUCCESS && verdict.info === '') return SUCCESS_RESPONSE;
  return encodeBroadcastResponse(verdict);
}

/** An envelope read well enough to route: its channel and its type's metric label. */
interface Routed {
  readonly index: number;
  readonly type: string;
}

/**
 * Decodes and routes a burst's envelopes, submits each channel's share in one
 * call, and fills `verdicts` (operating errors become verdicts). Metrics are
 * counted per burst: every envelope of it took the same time to its verdict.
 */
async function processBurst(envelopes: readonly Buffer[], verdicts: Verdict[], context: BroadcastContext, ack: SubmitOptions): Promise<void> {
  // performance.now(): a double, where hrtime.bigint() allocated a BigInt per envelope and another to subtract.
  const startedMs = performance.now();
  const byChannel = new Map<ChannelSupport, Routed[]>();
  const early: { index: number; channel: string; type: string }[] = [];
  for (let index = 0; index < envelopes.length; index++) {
    const bytes = envelopes[index]!;
    let fields;
    try {
      fields = readEnvelopeRouting(bytes);
    } catch (error) {
      verdicts[index] = unreadable(error, context);
      early.push({ index, channel: '', type: '' });
      continue;
    }
    const type = headerTypeLabel(fields.headerType);
    if (fields.channelId === '') {
      verdicts[index] = { status: Status.BAD_REQUEST, info: 'envelope channel header has an empty channel_id' };
      early.push({ index, channel: '', type });
      continue;
    }
    const channel = context.channels.get(fields.channelId);
    if (channel === undefined) {
      verdicts[index] = { status: Status.NOT_FOUND, info: `channel "${truncate(fields.channelId)}" is not served by this orderer` };
      early.push({ index, channel: '', type });
      continue;
    }
    let routed = byChannel.get(channel);
    if (routed === undefined) byChannel.set(channel, (routed = []));
    routed.push({ index, type });
  }
  const counts = new BurstCounts(context, startedMs);
  for (const { index, channel, type } of early) counts.add(channel, type, verdicts[index]!);
  await Promise.all(
    [...byChannel].map(async ([channel, routed]) => {
      let results: readonly SubmitResult[];
      try {
        // Views into the stream's receive buffers, lent as they are (submitAll reads and keeps them, never writes or transfers them).
        results = await channel.submitAll(
          routed.map((r) => envelopes[r.index]!),
          ack,
        );
        assert.equal(results.length, routed.length, 'submitAll must answer every envelope');
      } catch (error) {
        // The contract says submitAll never rejects: a chain bug must not end the stream.
        context.logger.error({ channel: channel.channelId, err: error }, 'channel submit rejected, contrary to its contract');
        results = routed.map(() => ({ status: 'INTERNAL_SERVER_ERROR', info: 'internal error while submitting the envelope' }));
      }
      for (let k = 0; k < routed.length; k++) {
        const result = results[k]!;
        const verdict: Verdict = result.status === 'SUCCESS' && result.info === '' ? SUCCESS_VERDICT : { status: Status[result.status], info: result.info };
        verdicts[routed[k]!.index] = verdict;
        counts.add(channel.channelId, routed[k]!.type, verdict);
      }
    }),
  );
  counts.record();
}

/** Whatever fails while reading one envelope is its answer, never the stream's; a failure the codec does not name is logged. */
function unreadable(error: unknown, context: BroadcastContext): Verdict {
  if (error instanceof MalformedMessageError) return { status: Status.BAD_REQUEST, info: `malformed envelope: ${error.message}` };
  context.logger.error({ err: error }, 'reading a broadcast envelope failed unexpectedly; the envelope alone is refused');
  const reason = error instanceof Error ? error.message : String(error);
  return { status: Status.BAD_REQUEST, info: `unreadable envelope: ${reason}` };
}

type BroadcastLabels = LabelValues<'channel' | 'type' | 'status'>;

/**
 * Broadcast metrics of one burst: one counter increment per label set, not
 * per envelope. A burst's envelopes nearly always share one label set: the
 * first is counted in fields and the last one looked up is reused, so the
 * common burst costs no Map and no label lookup per envelope.
 */
class BurstCounts {
  /** The first label set counted (the metrics' cached object) and its count. */
  #first: BroadcastLabels | undefined;
  #firstCount = 0;
  /** Counts of any other label sets, made on the first one. */
  #others: Map<BroadcastLabels, number> | undefined;
  /** The arguments of the last label lookup and its result. */
  #lastChannel = '';
  #lastType = '';
  #lastStatus: Status | undefined;
  #lastLabels: BroadcastLabels | undefined;

  constructor(
    private readonly context: BroadcastContext,
    private readonly startedMs: number,
  ) {}

  add(channel: string, type: string, verdict: Verdict): void {
    const labels = this.#labelsOf(channel, type, verdict.status);
    if (this.#first === undefined) this.#first = labels;
    if (labels === this.#first) this.#firstCount++;
    else {
      const others = (this.#others ??= new Map());
      others.set(labels, (others.get(labels) ?? 0) + 1);
    }
    if (verdict.status !== Status.SUCCESS)
      this.context.logger.debug({ channel, type, status: labels.status, info: verdict.info }, 'broadcast envelope rejected');
  }

  record(): void {
    if (this.#first === undefined) return;
    const seconds = (performance.now() - this.startedMs) / 1000;
    const { broadcastProcessed, broadcastValidateSeconds } = this.context.metrics;
    broadcastProcessed.inc(this.#first, this.#firstCount);
    broadcastValidateSeconds.observe(this.#first, seconds, this.#firstCount);
    if (this.#others === undefined) return;
    for (const [labels, n] of this.#others) {
      broadcastProcessed.inc(labels, n);
      broadcastValidateSeconds.observe(labels, seconds, n);
    }
  }

  #labelsOf(channel: string, type: string, status: Status): BroadcastLabels {
    if (this.#lastLabels !== undefined && status === this.#lastStatus && channel === this.#lastChannel && type === this.#lastType) return this.#lastLabels;
    this.#lastChannel = channel;
    this.#lastType = type;
    this.#lastStatus = status;
    this.#lastLabels = this.context.metrics.broadcastLabels(channel, type, status);
    return this.#lastLabels;
  }
}

/** Fabric's HeaderType name; application-defined types share one label value to bound the label set. */
function headerTypeLabel(headerType: number): string {
  return HeaderType[headerType] ?? 'OTHER';
}
