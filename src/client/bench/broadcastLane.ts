// One Broadcast stream of the harness, lean on purpose: no promise per
// envelope. Sends are written straight to the gRPC call; the server answers
// in request order, so a ring of (intended, sent) times matches each answer
// to its envelope. A failed stream hands back every outstanding envelope as
// STREAM_FAILED; the lane can then be reopened (a restarted node, a new leader).

import type * as grpc from '@grpc/grpc-js';
import { decodeBroadcastResponse, Status } from '../../block/index.js';
import { ATOMIC_BROADCAST_SERVICE } from '../../block/index.js';

/** Status reported for envelopes outstanding on a stream that failed. */
export const STREAM_FAILED = -1;

export interface LaneSink {
  /** One answer: `status` is a Fabric Status or STREAM_FAILED. Times from performance.now(). */
  onAnswer(lane: BroadcastLane, status: number, txId: string, intendedMs: number, sentMs: number, nowMs: number): void;
  onLaneDown(lane: BroadcastLane, reason: string): void;
}

/** The marshaled BroadcastResponse{status: SUCCESS}: answers are compared to it before any decoding. */
const SUCCESS_BYTES = Buffer.from([0x08, 0xc8, 0x01]);

export class BroadcastLane {
  readonly label: string;
  readonly #sink: LaneSink;
  #call: grpc.ClientDuplexStream<Buffer, Buffer> | undefined;
  #capacity = 1024;
  #intended = new Float64Array(this.#capacity);
  #sent = new Float64Array(this.#capacity);
  #txIds: string[] = new Array<string>(this.#capacity);
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

  open(client: grpc.Client, nodeId?: number): void {
    const method = ATOMIC_BROADCAST_SERVICE.Broadcast;
    const call = client.makeBidiStreamRequest(method.path, method.requestSerialize, method.responseDeserialize);
    this.#call = call;
    this.nodeId = nodeId;
    call.on('data', (bytes: Buffer) => this.#onData(bytes));
    call.on('error', (error: Error) => this.#down(call, error.message));
    call.on('end', () => this.#down(call, 'ended by the server'));
  }

  send(bytes: Buffer, txId: string, intendedMs: number, sentMs: number): void {
    if (this.#count === this.#capacity) this.#grow();
    const slot = (this.#head + this.#count) & (this.#capacity - 1);
    this.#intended[slot] = intendedMs;
    this.#sent[slot] = sentMs;
    this.#txIds[slot] = txId;
    this.#count++;
    this.#call!.write(bytes);
  }

  /** Half-closes the stream; outstanding answers still arrive. */
  end(): void {
    this.#call?.end();
  }

  cancel(): void {
    const call = this.#call;
    if (call !== undefined) {
      this.#down(call, 'cancelled');
      call.cancel();
    }
  }

  #onData(bytes: Buffer): void {
    if (this.#count === 0) return;
    const status = bytes.equals(SUCCESS_BYTES) ? Status.SUCCESS : decodeStatus(bytes);
    const slot = this.#head;
    this.#head = (this.#head + 1) & (this.#capacity - 1);
    this.#count--;
    const txId = this.#txIds[slot]!;
    this.#txIds[slot] = '';
    this.#sink.onAnswer(this, status, txId, this.#intended[slot]!, this.#sent[slot]!, performance.now());
  }

  #down(call: grpc.ClientDuplexStream<Buffer, Buffer>, reason: string): void {
    if (this.#call !== call) return;
    this.#call = undefined;
    const now = performance.now();
    while (this.#count > 0) {
      const slot = this.#head;
      this.#head = (this.#head + 1) & (this.#capacity - 1);
      this.#count--;
      this.#sink.onAnswer(this, STREAM_FAILED, this.#txIds[slot]!, this.#intended[slot]!, this.#sent[slot]!, now);
    }
    this.#sink.onLaneDown(this, reason);
  }

  #grow(): void {
    const capacity = this.#capacity * 2;
    const intended = new Float64Array(capacity);
    const sent = new Float64Array(capacity);
    const txIds = new Array<string>(capacity);
    for (let i = 0; i < this.#count; i++) {
      const from = (this.#head + i) & (this.#capacity - 1);
      intended[i] = this.#intended[from]!;
      sent[i] = this.#sent[from]!;
      txIds[i] = this.#txIds[from]!;
    }
    this.#intended = intended;
    this.#sent = sent;
    this.#txIds = txIds;
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
