// The Broadcast stream: one BroadcastResponse per Envelope, in request order.
//
// A client may pipeline: envelopes are submitted as they arrive, up to
// `outstandingMax` per stream awaiting their verdict; at the bound the read
// side pauses (HTTP/2 flow control then pushes back on the client) and
// resumes as verdicts are written. A bad envelope gets its status and the
// stream goes on (Fabric ends the stream there; we don't).

import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { encodeBroadcastResponse, HeaderType, MalformedMessageError, readEnvelopeFields, Status } from '../block/index.js';
import type { ChannelRegistry, SubmitOptions, SubmitResult } from '../chain/index.js';
import { ackChoiceOf } from './ackChoice.js';
import { truncate } from './clientText.js';
import { asBuffer, ownedEnvelope } from './envelopeOwnership.js';
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

enum StreamState {
  Open,
  /** The client half-closed: answer what is outstanding, then end. */
  InputEnded,
  /** Ended, cancelled or failed: nothing more is written. */
  Closed,
}

export function serveBroadcast(call: grpc.ServerDuplexStream<Buffer, Buffer>, context: BroadcastContext): void {
  new BroadcastStream(call, context).start();
}

class BroadcastStream {
  readonly #call: grpc.ServerDuplexStream<Buffer, Buffer>;
  readonly #context: BroadcastContext;
  /** Verdicts in request order. Invariant: length <= outstandingMax while reading is not paused. */
  readonly #verdicts: Promise<Verdict>[] = [];
  #state = StreamState.Open;
  #readPaused = false;
  #draining = false;
  /** Resolves a pending wait for the transport to drain (or for the stream to close). */
  #wakeWriter: (() => void) | undefined;
  /** The stream's acknowledgement choice, or why its header is refused (every envelope answered BAD_REQUEST). */
  readonly #ack: SubmitOptions | string;

  constructor(call: grpc.ServerDuplexStream<Buffer, Buffer>, context: BroadcastContext) {
    this.#call = call;
    this.#context = context;
    this.#ack = ackChoiceOf(call.metadata, context.ack);
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
    const ack = this.#ack;
    const processing = typeof ack === 'string' ? Promise.resolve({ status: Status.BAD_REQUEST, info: ack }) : processEnvelope(bytes, this.#context, ack);
    this.#verdicts.push(processing.catch((error: unknown) => this.#internalError(error)));
    if (this.#verdicts.length >= this.#context.outstandingMax && !this.#readPaused) {
      this.#readPaused = true;
      this.#call.pause();
    }
    if (!this.#draining) void this.#drain();
  }

  /** Writes verdicts in order as they resolve; the only writer of the stream. */
  async #drain(): Promise<void> {
    this.#draining = true;
    while (this.#verdicts.length > 0 && this.#state !== StreamState.Closed) {
      // Never rejects: every failure became a verdict in #onEnvelope.
      const verdict = await this.#verdicts[0]!;
      this.#verdicts.shift();
      if (this.#isClosed()) break;
      const flushed = this.#call.write(asBuffer(encodeBroadcastResponse(verdict)));
      if (!flushed) await new Promise<void>((resolve) => (this.#wakeWriter = resolve));
      if (this.#readPaused && this.#verdicts.length < this.#context.outstandingMax && this.#state === StreamState.Open) {
        this.#readPaused = false;
        this.#call.resume();
      }
    }
    this.#draining = false;
    this.#finishIfDone();
  }

  /** A bug below the server (an assertion) answers this envelope, not the whole stream. */
  #internalError(error: unknown): Verdict {
    this.#context.logger.error({ err: error }, 'broadcast envelope processing failed');
    return { status: Status.INTERNAL_SERVER_ERROR, info: 'internal error while processing the envelope' };
  }

  /** Re-read after each await: the stream may have closed meanwhile. */
  #isClosed(): boolean {
    return this.#state === StreamState.Closed;
  }

  #finishIfDone(): void {
    if (this.#state !== StreamState.InputEnded || this.#draining || this.#verdicts.length > 0) return;
    this.#state = StreamState.Closed;
    this.#call.end();
  }

  #close(reason: string): void {
    if (this.#state === StreamState.Closed) return;
    this.#state = StreamState.Closed;
    this.#context.logger.debug({ peer: this.#call.getPeer(), reason, unanswered: this.#verdicts.length }, 'broadcast stream closed');
    this.#wake();
  }

  #wake(): void {
    const wake = this.#wakeWriter;
    this.#wakeWriter = undefined;
    wake?.();
  }
}

/** Decodes, routes and submits one envelope; operating errors become verdicts. */
async function processEnvelope(bytes: Buffer, context: BroadcastContext, ack: SubmitOptions): Promise<Verdict> {
  // performance.now(): a double, where hrtime.bigint() allocated a BigInt per envelope and another to subtract.
  const startedMs = performance.now();
  let fields;
  try {
    fields = readEnvelopeFields(bytes);
  } catch (error) {
    // Whatever fails while reading one envelope is its answer, never the stream's; a failure the codec does not name is logged.
    if (error instanceof MalformedMessageError)
      return count(context, '', '', startedMs, { status: Status.BAD_REQUEST, info: `malformed envelope: ${error.message}` });
    context.logger.error({ err: error }, 'reading a broadcast envelope failed unexpectedly; the envelope alone is refused');
    const reason = error instanceof Error ? error.message : String(error);
    return count(context, '', '', startedMs, { status: Status.BAD_REQUEST, info: `unreadable envelope: ${reason}` });
  }
  const type = headerTypeLabel(fields.headerType);
  if (fields.channelId === '') {
    return count(context, '', type, startedMs, { status: Status.BAD_REQUEST, info: 'envelope channel header has an empty channel_id' });
  }
  const channel = context.channels.get(fields.channelId);
  if (channel === undefined) {
    const info = `channel "${truncate(fields.channelId)}" is not served by this orderer`;
    return count(context, '', type, startedMs, { status: Status.NOT_FOUND, info });
  }
  let result: SubmitResult;
  try {
    // `bytes` is not used after this call, so the channel may transfer the envelope's buffer.
    result = await channel.submit(ownedEnvelope(bytes), ack);
  } catch (error) {
    // The contract says submit never rejects: a chain bug must not end the stream.
    context.logger.error({ channel: channel.channelId, err: error }, 'channel submit rejected, contrary to its contract');
    result = { status: 'INTERNAL_SERVER_ERROR', info: 'internal error while submitting the envelope' };
  }
  return count(context, channel.channelId, type, startedMs, { status: Status[result.status], info: result.info });
}

function count(context: BroadcastContext, channel: string, type: string, startedMs: number, verdict: Verdict): Verdict {
  const labels = context.metrics.broadcastLabels(channel, type, verdict.status);
  context.metrics.broadcastProcessed.inc(labels);
  context.metrics.broadcastValidateSeconds.observe(labels, (performance.now() - startedMs) / 1000);
  if (verdict.status !== Status.SUCCESS) context.logger.debug({ channel, type, status: labels.status, info: verdict.info }, 'broadcast envelope rejected');
  return verdict;
}

/** Fabric's HeaderType name; application-defined types share one label value to bound the label set. */
function headerTypeLabel(headerType: number): string {
  return HeaderType[headerType] ?? 'OTHER';
}
