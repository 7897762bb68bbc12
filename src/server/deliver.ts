// The Deliver stream, as Fabric's common/deliver handler: each request is an
// Envelope whose payload data is a SeekInfo; the answer is the blocks asked
// for, one DeliverResponse each, then a DeliverResponse{status}. Requests on
// one stream are served one at a time (the read side pauses meanwhile), so a
// stream holds at most one request and DELIVER_WRITE_BUFFER_BYTES of blocks
// being written (one block, when a block is larger).

import type { Logger } from 'pino';
import {
  decodeBlock,
  encodeBlockWithoutData,
  decodePayload,
  decodeSeekInfo,
  encodeDeliverResponse,
  deliverResponseBlockHeader,
  encodeDeliverResponseBlockBytes,
  isConfigBlock,
  MalformedMessageError,
  readEnvelopeFields,
  SeekContentType,
  Status,
  type EnvelopeFields,
  type SeekInfo,
} from '../block/index.js';
import type { ChannelRegistry, ChannelSupport } from '../chain/index.js';
import { truncate } from './clientText.js';
import type { ServerMetrics } from './metrics.js';
import type { StreamCall } from './serverCall.js';
import { resolveSeekRange, type SeekRange } from './seekRange.js';
import { deliverHeaderViolation, type DeliverHeaderRules } from './deliverHeader.js';

/**
 * Blocks written to a stream and not yet taken by the transport, at most, before
 * the stream waits for it to drain (a block larger than this is written alone).
 * Waiting for a drain after every write the transport calls full (its 16 KiB
 * mark: one or two small blocks) sent a block or two per event-loop turn of
 * this node, and a busy node's turns are long: a wiped orderer pulling the
 * chain from a leader under load got ~170 small blocks per second. The bound
 * is also what one stream may write in one turn: ~20 small blocks (~0.3–0.5 ms
 * each on a 2-core machine), so the drains of many catching-up streams handled
 * in one turn do not hold the node's Raft ticks for long.
 */
export const DELIVER_WRITE_BUFFER_BYTES = 256 * 1024;

export interface DeliverContext {
  readonly channels: ChannelRegistry;
  readonly metrics: ServerMetrics;
  readonly logger: Logger;
  /** Timestamp window and, under mutual TLS, the TLS binding of requests. */
  readonly headerRules: DeliverHeaderRules;
}

interface Outcome {
  readonly status: Status;
  /** Why, for the log (Fabric's DeliverResponse carries only the status). */
  readonly info: string;
  /** Channel label for metrics: a served channel or "". */
  readonly channel: string;
}

export function serveDeliver(call: StreamCall, context: DeliverContext): void {
  new DeliverStream(call, context).start();
}

class DeliverStream {
  readonly #call: StreamCall;
  readonly #context: DeliverContext;
  /** Aborted when the client cancels or the stream fails: ends block waits. */
  readonly #closed = new AbortController();
  /** Invariant: length <= 1 in practice (reading pauses while one is served); bounded by the pause either way. */
  readonly #requests: Buffer[] = [];
  #serving = false;
  #inputEnded = false;
  #wakeWriter: (() => void) | undefined;

  constructor(call: StreamCall, context: DeliverContext) {
    this.#call = call;
    this.#context = context;
  }

  start(): void {
    const call = this.#call;
    this.#context.metrics.deliverStreamsOpened.inc();
    call.on('data', (bytes: Buffer) => {
      call.pause();
      this.#requests.push(bytes);
      if (!this.#serving) void this.#serveRequests();
    });
    call.on('end', () => {
      this.#inputEnded = true;
      this.#endIfIdle();
    });
    call.on('drain', () => this.#wake());
    call.on('cancelled', () => this.#close());
    call.on('error', () => this.#close());
  }

  async #serveRequests(): Promise<void> {
    this.#serving = true;
    while (this.#requests.length > 0 && !this.#closed.signal.aborted) {
      const request = this.#requests.shift()!;
      const outcome = await this.#serve(request).catch((error: unknown) => this.#internalError(error));
      if (this.#closed.signal.aborted) break;
      this.#context.logger.debug({ channel: outcome.channel, status: Status[outcome.status], info: outcome.info }, 'deliver request done');
      await this.#send([encodeDeliverResponse({ type: 'status', status: outcome.status })]);
    }
    this.#serving = false;
    if (!this.#closed.signal.aborted) this.#call.resume();
    this.#endIfIdle();
  }

  /**
   * Serves one seek request up to (not including) its final status, checking
   * in Fabric's order (common/deliver deliverBlocks): envelope and channel
   * header (BAD_REQUEST), channel (NOT_FOUND), seek info (BAD_REQUEST), the
   * requester (FORBIDDEN), then the range (BAD_REQUEST, then NOT_FOUND).
   */
  async #serve(request: Buffer): Promise<Outcome> {
    const metrics = this.#context.metrics;
    const read = this.#readRequest(request);
    if ('status' in read) return read;
    const { fields } = read;
    const channel = this.#context.channels.get(fields.channelId);
    if (channel === undefined) {
      return { status: Status.NOT_FOUND, info: `channel "${truncate(fields.channelId)}" is not served by this orderer`, channel: '' };
    }
    const labels = { channel: channel.channelId, filtered: 'false', data_type: 'block' };
    metrics.deliverRequestsReceived.inc(labels);
    const outcome = await this.#serveChannel(channel, request, fields.payload);
    metrics.deliverRequestsCompleted.inc({ ...labels, success: String(outcome.status === Status.SUCCESS) });
    return outcome;
  }

  /**
   * The envelope's routing fields once its channel header passed; otherwise
   * BAD_REQUEST. Anything that fails while reading the request is the
   * request's answer, never the stream's: a failure no layer names is logged.
   */
  #readRequest(request: Buffer): { fields: EnvelopeFields } | Outcome {
    try {
      const fields = readEnvelopeFields(request);
      const violation = deliverHeaderViolation(this.#call, fields.payload, this.#context.headerRules, Date.now());
      if (violation !== undefined) return { status: Status.BAD_REQUEST, info: violation, channel: '' };
      return { fields };
    } catch (error) {
      return this.#unreadable('deliver envelope', error, '');
    }
  }

  async #serveChannel(channel: ChannelSupport, request: Buffer, payloadBytes: Uint8Array): Promise<Outcome> {
    const channelId = channel.channelId;
    let seek: SeekInfo;
    try {
      // A stop of specified{MaxUint64} (Fabric's "stream forever") reads as SEEK_MAX.
      seek = decodeSeekInfo(decodePayload(payloadBytes).data);
    } catch (error) {
      return this.#unreadable('seek info', error, channelId);
    }
    // A copy: the channel may transfer what it is given to a worker, and the request's bytes are read afterwards.
    const verdict = await channel.authorizeDeliver(new Uint8Array(request));
    if (verdict.status !== 'SUCCESS') return { status: Status[verdict.status], info: verdict.info, channel: channelId };
    const resolution = resolveSeekRange(seek, channel.height());
    if (!resolution.ok) return { status: Status[resolution.status], info: resolution.info, channel: channelId };
    const sessionEndMs = verdict.validUntilMs ?? Number.POSITIVE_INFINITY;
    return this.#streamBlocks(channel, resolution.range, seek.contentType === SeekContentType.HEADER_WITH_SIG, sessionEndMs);
  }

  /** BAD_REQUEST for bytes that do not read as `what`; a failure other than MalformedMessageError is also logged. */
  #unreadable(what: string, error: unknown, channel: string): Outcome {
    if (error instanceof MalformedMessageError) return { status: Status.BAD_REQUEST, info: `malformed ${what}: ${error.message}`, channel };
    this.#context.logger.error({ err: error, channel }, `reading a ${what} failed unexpectedly; the request alone is refused`);
    const reason = error instanceof Error ? error.message : String(error);
    return { status: Status.BAD_REQUEST, info: `unreadable ${what}: ${reason}`, channel };
  }

  async #streamBlocks(channel: ChannelSupport, range: SeekRange, headersOnly: boolean, sessionEndMs: number): Promise<Outcome> {
    const channelId = channel.channelId;
    const sentLabels = { channel: channelId, filtered: 'false', data_type: 'block' };
    for (let number = range.first; number <= range.last; number++) {
      if (number >= channel.height()) {
        if (range.failIfNotReady) {
          return { status: Status.NOT_FOUND, info: `block ${number} does not exist yet and behavior is FAIL_IF_NOT_READY`, channel: channelId };
        }
        try {
          await channel.waitForBlock(number, this.#closed.signal);
        } catch (error) {
          if (this.#closed.signal.aborted) return { status: Status.SUCCESS, info: 'client went away', channel: channelId };
          const reason = error instanceof Error ? error.message : String(error);
          return { status: Status.SERVICE_UNAVAILABLE, info: `waiting for block ${number} failed: ${reason}`, channel: channelId };
        }
      }
      if (Date.now() > sessionEndMs) {
        return { status: Status.FORBIDDEN, info: `the requester's certificate expired at ${new Date(sessionEndMs).toISOString()}`, channel: channelId };
      }
      await this.#send(headersOnly ? [headersOnlyResponse(channel.block(number))] : blockResponsePieces(channel.blockPieces(number)));
      if (this.#closed.signal.aborted) return { status: Status.SUCCESS, info: 'client went away', channel: channelId };
      this.#context.metrics.deliverBlocksSent.inc(sentLabels);
    }
    return { status: Status.SUCCESS, info: `sent blocks ${range.first}..${range.last}`, channel: channelId };
  }

  /**
   * Writes one response (given as pieces); once the transport holds
   * DELIVER_WRITE_BUFFER_BYTES or more, waits for it to drain, so that many
   * bytes (or one larger block) at most are buffered per stream.
   */
  async #send(response: readonly Uint8Array[]): Promise<void> {
    if (this.#closed.signal.aborted) return;
    // 'drain' comes once the buffer is empty after a write that found it full: only wait for one when the transport said so.
    if (!this.#call.writePieces(response) && this.#call.writableBytes >= DELIVER_WRITE_BUFFER_BYTES) {
      await new Promise<void>((resolve) => (this.#wakeWriter = resolve));
    }
  }

  #internalError(error: unknown): Outcome {
    this.#context.logger.error({ err: error }, 'deliver request failed');
    return { status: Status.INTERNAL_SERVER_ERROR, info: 'internal error', channel: '' };
  }

  #endIfIdle(): void {
    if (!this.#inputEnded || this.#serving || this.#requests.length > 0 || this.#closed.signal.aborted) return;
    this.#closed.abort();
    this.#context.metrics.deliverStreamsClosed.inc();
    this.#call.end();
  }

  #close(): void {
    if (this.#closed.signal.aborted) return;
    this.#closed.abort();
    this.#context.metrics.deliverStreamsClosed.inc();
    this.#wake();
  }

  #wake(): void {
    const wake = this.#wakeWriter;
    this.#wakeWriter = undefined;
    wake?.();
  }
}

/**
 * A DeliverResponse with the block held in `pieces`, as pieces: the block's
 * ~500 KB are not copied into a response buffer (nor into a framed one).
 */
function blockResponsePieces(pieces: readonly Uint8Array[]): Uint8Array[] {
  let length = 0;
  for (const piece of pieces) length += piece.byteLength;
  return [deliverResponseBlockHeader(length), ...pieces];
}

/** HEADER_WITH_SIG: the block without its data field (Data nil, as Fabric), except config blocks. */
function headersOnlyResponse(blockBytes: Uint8Array): Uint8Array {
  const block = decodeBlock(blockBytes);
  if (isConfigBlock(block)) return encodeDeliverResponseBlockBytes(blockBytes);
  return encodeDeliverResponseBlockBytes(encodeBlockWithoutData(block));
}
