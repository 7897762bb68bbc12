// One Broadcast stream of the harness, lean on purpose: no promise, object
// or copy per envelope. Envelopes come framed as gRPC messages, back to back
// in their signed batch (envelopeSupply.ts): those sent in one pump of the
// driver are written (flush) to an HTTP/2 stream (h2Session.ts) as runs of
// that batch, without copying; the server answers in request order, so a
// ring of (intended, sent) times matches each answer to its envelope, and a
// SUCCESS answer is recognised in the DATA chunk where it lies. A failed
// stream hands back every outstanding envelope as STREAM_FAILED; the lane can
// then be reopened (a restarted node, a new leader).

import http2 from 'node:http2';
import { ATOMIC_BROADCAST_SERVICE, decodeBroadcastResponse, GrpcMessageReader, Status } from '../../block/index.js';
import type { H2SessionSource } from './h2Session.js';

const { HTTP2_HEADER_METHOD, HTTP2_HEADER_PATH, HTTP2_HEADER_STATUS, HTTP2_HEADER_CONTENT_TYPE, HTTP2_HEADER_TE } = http2.constants;
/** A BroadcastResponse is a status and an info text: anything near this size is not one. */
const ANSWER_BYTES_MAX = 1024 * 1024;

const EMPTY = Buffer.alloc(0);

/** Status reported for envelopes outstanding on a stream that failed. */
export const STREAM_FAILED = -1;

export interface LaneSink {
  /** One answer: `status` is a Fabric Status or STREAM_FAILED. Times from performance.now(). */
  onAnswer(lane: BroadcastLane, status: number, txKey: number, intendedMs: number, sentMs: number, nowMs: number): void;
  onLaneDown(lane: BroadcastLane, reason: string): void;
}

/** The marshaled BroadcastResponse{status: SUCCESS}: answers are compared to it before any decoding. */
const SUCCESS_BYTES = Buffer.from([0x08, 0xc8, 0x01]);
/** gRPC's message prefix: flag and length. */
const PREFIX_BYTES = 5;

export class BroadcastLane {
  readonly label: string;
  readonly #sink: LaneSink;
  #call: http2.ClientHttp2Stream | undefined;
  /** Runs of framed envelopes sent since the last flush: run i is #runBytes[i][#runStarts[i]..#runEnds[i]). */
  #runBytes: Buffer[] = [];
  #runStarts: number[] = [];
  #runEnds: number[] = [];
  #runs = 0;
  /** The answers of the open call, out of its DATA chunks. */
  #reader = new GrpcMessageReader(ANSWER_BYTES_MAX);
  #capacity = 1024;
  #intended = new Float64Array(this.#capacity);
  #sent = new Float64Array(this.#capacity);
  #txKeys = new Float64Array(this.#capacity);
  #head = 0;
  #count = 0;
  /** The lane sends nothing before this time (after SERVICE_UNAVAILABLE or a failure). */
  pausedUntilMs = 0;
  /** The node id this lane writes to (local clusters), for retargeting. */
  nodeId: number | undefined;

  constructor(label: string, sink: LaneSink) {
    this.label = label;
    this.#sink = sink;
  }

  get up(): boolean {
    return this.#call !== undefined;
  }

  get outstanding(): number {
    return this.#count;
  }

  open(source: H2SessionSource, nodeId?: number): void {
    this.nodeId = nodeId;
    let call: http2.ClientHttp2Stream;
    try {
      call = source.session().request(
        {
          [HTTP2_HEADER_METHOD]: 'POST',
          [HTTP2_HEADER_PATH]: ATOMIC_BROADCAST_SERVICE.Broadcast.path,
          [HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc',
          [HTTP2_HEADER_TE]: 'trailers',
        },
        { endStream: false },
      );
    } catch (error) {
      // The session could not be opened (closed, refused): the lane is down; its owner retries.
      setImmediate(() => this.#sink.onLaneDown(this, (error as Error).message));
      return;
    }
    this.#call = call;
    this.#reader = new GrpcMessageReader(ANSWER_BYTES_MAX);
    call.on('response', (headers) => {
      const status = Number(headers[HTTP2_HEADER_STATUS]);
      if (status !== 200) this.#down(call, `HTTP status ${status}`);
      else this.#grpcStatus(call, headers);
    });
    call.on('trailers', (trailers) => this.#grpcStatus(call, trailers));
    call.on('data', (chunk: Buffer) => {
      if (this.#call === call) this.#onChunk(call, chunk);
    });
    call.on('error', (error: Error) => this.#down(call, error.message));
    call.on('close', () => this.#down(call, 'ended by the server'));
  }

  /**
   * Queues an envelope framed as a gRPC message, bytes[start..end); it goes
   * out at the next flush (the end of the driver's pump), joined to the run
   * before it if it follows that in the same buffer.
   */
  send(bytes: Buffer, start: number, end: number, txKey: number, intendedMs: number, sentMs: number): void {
    if (this.#count === this.#capacity) this.#grow();
    const slot = (this.#head + this.#count) & (this.#capacity - 1);
    this.#intended[slot] = intendedMs;
    this.#sent[slot] = sentMs;
    this.#txKeys[slot] = txKey;
    this.#count++;
    const last = this.#runs - 1;
    if (last >= 0 && this.#runBytes[last] === bytes && this.#runEnds[last] === start) {
      this.#runEnds[last] = end;
      return;
    }
    this.#runBytes[this.#runs] = bytes;
    this.#runStarts[this.#runs] = start;
    this.#runEnds[this.#runs] = end;
    this.#runs++;
  }

  /** Writes every envelope queued since the last flush: its runs, corked into one write. */
  flush(): void {
    const runs = this.#runs;
    if (runs === 0) return;
    this.#runs = 0;
    const call = this.#call;
    if (call !== undefined) {
      if (runs > 1) call.cork();
      for (let i = 0; i < runs; i++) call.write(this.#runBytes[i]!.subarray(this.#runStarts[i], this.#runEnds[i]));
      if (runs > 1) call.uncork();
    }
    // The batches' buffers are not held past their writes.
    this.#runBytes.fill(EMPTY, 0, runs);
  }

  /** Half-closes the stream; outstanding answers still arrive. */
  end(): void {
    this.flush();
    this.#call?.end();
  }

  cancel(): void {
    const call = this.#call;
    if (call !== undefined) {
      this.#down(call, 'cancelled');
      call.close(http2.constants.NGHTTP2_CANCEL);
    }
  }

  /** A gRPC status in headers (an immediate error) or trailers: anything but OK takes the lane down naming it. */
  #grpcStatus(call: http2.ClientHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    const status = headers['grpc-status'];
    if (status === undefined || status === '0') return;
    const message = headers['grpc-message'];
    this.#down(call, `gRPC status ${status}${message === undefined ? '' : `: ${decodeURIComponent(String(message))}`}`);
  }

  /**
   * Response messages out of HTTP/2 data chunks (a message may span chunks, a
   * chunk hold many). The common case, uncompressed SUCCESS answers whole in
   * the chunk, is counted where it lies; from the first other one on, the
   * rest of the chunk goes through the reader.
   */
  #onChunk(call: http2.ClientHttp2Stream, chunk: Buffer): void {
    let offset = 0;
    if (this.#reader.idle) {
      while (
        offset + PREFIX_BYTES + SUCCESS_BYTES.length <= chunk.length &&
        chunk[offset] === 0 &&
        chunk.readUInt32BE(offset + 1) === SUCCESS_BYTES.length &&
        chunk[offset + 5] === SUCCESS_BYTES[0] &&
        chunk[offset + 6] === SUCCESS_BYTES[1] &&
        chunk[offset + 7] === SUCCESS_BYTES[2]
      ) {
        offset += PREFIX_BYTES + SUCCESS_BYTES.length;
        this.#answer(Status.SUCCESS);
        if (this.#call !== call) return;
      }
      if (offset === chunk.length) return;
    }
    let answers: Buffer[];
    try {
      answers = this.#reader.push(offset === 0 ? chunk : chunk.subarray(offset));
    } catch (error) {
      this.#down(call, `unreadable answer: ${(error as Error).message}`);
      return;
    }
    for (const bytes of answers) {
      this.#onData(bytes);
      // An answer may have taken the lane down (reopened on another stream): the rest of this chunk is not its.
      if (this.#call !== call) return;
    }
  }

  #onData(bytes: Buffer): void {
    this.#answer(bytes.equals(SUCCESS_BYTES) ? Status.SUCCESS : decodeStatus(bytes));
  }

  /** The answer to the oldest outstanding envelope. */
  #answer(status: number): void {
    if (this.#count === 0) return;
    const slot = this.#head;
    this.#head = (this.#head + 1) & (this.#capacity - 1);
    this.#count--;
    this.#sink.onAnswer(this, status, this.#txKeys[slot]!, this.#intended[slot]!, this.#sent[slot]!, performance.now());
  }

  #down(call: http2.ClientHttp2Stream, reason: string): void {
    if (this.#call !== call) return;
    this.#call = undefined;
    this.#runs = 0;
    const now = performance.now();
    while (this.#count > 0) {
      const slot = this.#head;
      this.#head = (this.#head + 1) & (this.#capacity - 1);
      this.#count--;
      this.#sink.onAnswer(this, STREAM_FAILED, this.#txKeys[slot]!, this.#intended[slot]!, this.#sent[slot]!, now);
    }
    this.#sink.onLaneDown(this, reason);
  }

  #grow(): void {
    const capacity = this.#capacity * 2;
    const intended = new Float64Array(capacity);
    const sent = new Float64Array(capacity);
    const txKeys = new Float64Array(capacity);
    for (let i = 0; i < this.#count; i++) {
      const from = (this.#head + i) & (this.#capacity - 1);
      intended[i] = this.#intended[from]!;
      sent[i] = this.#sent[from]!;
      txKeys[i] = this.#txKeys[from]!;
    }
    this.#intended = intended;
    this.#sent = sent;
    this.#txKeys = txKeys;
    this.#capacity = capacity;
    this.#head = 0;
  }
}

function decodeStatus(bytes: Buffer): number {
  try {
    return decodeBroadcastResponse(bytes).status;
  } catch {
    return Status.UNKNOWN;
  }
}

/** A status as the report names it. */
export function statusName(status: number): string {
  return status === STREAM_FAILED ? 'STREAM_FAILED' : (Status[status] ?? String(status));
}
