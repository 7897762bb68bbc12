// A client of `orderer.AtomicBroadcast` for the load generator, the live view,
// the benchmarks and the e2e tests: pipelined Broadcast (responses come back
// in request order, so a FIFO matches them) and Deliver of a block range.
// Messages travel as raw bytes through the block layer's codec.

import * as grpc from '@grpc/grpc-js';
import {
  createSeekInfoEnvelope,
  decodeBroadcastResponse,
  decodeDeliverResponse,
  SeekBehavior,
  SeekContentType,
  SeekErrorResponse,
  type Status,
  type Block,
  type BroadcastResponse,
  type EnvelopeCreator,
  type SeekPosition,
} from '../block/index.js';
import { ATOMIC_BROADCAST_SERVICE } from '../block/index.js';
import { ClientCallError } from './errors.js';

const AtomicBroadcastClient = grpc.makeGenericClientConstructor(ATOMIC_BROADCAST_SERVICE, 'AtomicBroadcast');

export interface ConnectOptions {
  /** PEM of the CA that issued the server's TLS certificate; plaintext when absent. */
  readonly tlsCaPem?: string | undefined;
  /** Largest response accepted (a block). Default 100 MiB. */
  readonly maxReceiveMessageBytes?: number;
  /** Name checked against the server certificate instead of the address' host (Fabric's ServerNameOverride). */
  readonly serverNameOverride?: string | undefined;
}

export function connectAtomicBroadcast(address: string, options: ConnectOptions = {}): grpc.Client {
  const credentials = options.tlsCaPem === undefined ? grpc.credentials.createInsecure() : grpc.credentials.createSsl(Buffer.from(options.tlsCaPem));
  return new AtomicBroadcastClient(address, credentials, {
    'grpc.max_receive_message_length': options.maxReceiveMessageBytes ?? 100 * 1024 * 1024,
    'grpc.max_send_message_length': 100 * 1024 * 1024,
    ...(options.serverNameOverride !== undefined && {
      'grpc.ssl_target_name_override': options.serverNameOverride,
      'grpc.default_authority': options.serverNameOverride,
    }),
  });
}

interface Pending {
  readonly resolve: (response: BroadcastResponse) => void;
  readonly reject: (error: Error) => void;
}

/**
 * One Broadcast stream. `send` resolves with the envelope's own response (the
 * server answers in request order); when the stream fails every pending send
 * rejects with ClientCallError. The caller bounds how many sends it keeps open.
 */
export class BroadcastStream {
  readonly #call: grpc.ClientDuplexStream<Buffer, Buffer>;
  /** Sends awaiting their response, oldest first. */
  readonly #pending: Pending[] = [];
  #failure: Error | undefined;
  /** Settles after the newest send settled; the send's caller handles its outcome. */
  #lastSettled: Promise<void> = Promise.resolve();

  /** `metadata`: request headers, e.g. `orderer-ack: committed` (src/server/SERVER.md). */
  constructor(client: grpc.Client, metadata: grpc.Metadata = new grpc.Metadata()) {
    const method = ATOMIC_BROADCAST_SERVICE.Broadcast;
    this.#call = client.makeBidiStreamRequest(method.path, method.requestSerialize, method.responseDeserialize, metadata);
    this.#call.on('data', (bytes: Buffer) => this.#onResponse(bytes));
    this.#call.on('error', (error: Error) => this.#fail(new ClientCallError(`Broadcast stream failed: ${error.message}`, { cause: error })));
    this.#call.on('end', () => this.#fail(new ClientCallError('Broadcast stream ended by the server')));
  }

  get outstanding(): number {
    return this.#pending.length;
  }

  get failed(): boolean {
    return this.#failure !== undefined;
  }

  send(envelope: Uint8Array): Promise<BroadcastResponse> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const response = new Promise<BroadcastResponse>((resolve, reject) => {
      this.#pending.push({ resolve, reject });
      this.#call.write(Buffer.from(envelope.buffer, envelope.byteOffset, envelope.byteLength));
    });
    const settled = (): void => undefined;
    this.#lastSettled = response.then(settled, settled);
    return response;
  }

  /** Half-closes and waits until every outstanding send has settled (its caller sees how). */
  async end(): Promise<void> {
    this.#call.end();
    await this.#lastSettled;
  }

  cancel(): void {
    this.#call.cancel();
  }

  #onResponse(bytes: Buffer): void {
    const pending = this.#pending.shift();
    if (pending === undefined) {
      this.#fail(new ClientCallError('Broadcast stream: a response arrived with no envelope outstanding'));
      return;
    }
    try {
      pending.resolve(decodeBroadcastResponse(bytes));
    } catch (error) {
      pending.reject(new ClientCallError(`Broadcast stream: undecodable response: ${(error as Error).message}`, { cause: error }));
    }
  }

  #fail(error: Error): void {
    if (this.#failure !== undefined) return;
    this.#failure = error;
    for (const pending of this.#pending.splice(0)) pending.reject(error);
  }
}

export interface DeliverSpec {
  readonly channelId: string;
  readonly creator: EnvelopeCreator;
  readonly start: SeekPosition;
  readonly stop: SeekPosition;
  readonly behavior?: SeekBehavior;
  /** Called for each block as it arrives (in order). */
  readonly onBlock?: (block: Block) => void;
  /** Aborting cancels the stream. */
  readonly signal?: AbortSignal;
}

export interface DeliverOutcome {
  /** The status that ended the stream. */
  readonly status: Status;
  /** Blocks received, unless `onBlock` consumed them. */
  readonly blocks: Block[];
}

/** One Deliver request on a fresh stream; resolves with the final status (rejects if the stream fails first). */
export function deliver(client: grpc.Client, spec: DeliverSpec): Promise<DeliverOutcome> {
  const method = ATOMIC_BROADCAST_SERVICE.Deliver;
  const call = client.makeBidiStreamRequest(method.path, method.requestSerialize, method.responseDeserialize);
  const blocks: Block[] = [];
  return new Promise<DeliverOutcome>((resolve, reject) => {
    let settled = false;
    const settle = (outcome: DeliverOutcome | Error): void => {
      if (settled) return;
      settled = true;
      spec.signal?.removeEventListener('abort', onAbort);
      call.end();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const onAbort = (): void => {
      call.cancel();
      settle(new ClientCallError('Deliver aborted'));
    };
    if (spec.signal?.aborted) return onAbort();
    spec.signal?.addEventListener('abort', onAbort);
    call.on('data', (bytes: Buffer) => {
      try {
        const response = decodeDeliverResponse(bytes);
        if (response.type === 'block') {
          if (spec.onBlock) spec.onBlock(response.block);
          else blocks.push(response.block);
        } else if (response.type === 'status') {
          settle({ status: response.status, blocks });
        }
      } catch (error) {
        call.cancel();
        settle(new ClientCallError(`Deliver: bad response: ${(error as Error).message}`, { cause: error }));
      }
    });
    call.on('error', (error: Error) => settle(new ClientCallError(`Deliver stream failed: ${error.message}`, { cause: error })));
    call.on('end', () => settle(new ClientCallError('Deliver stream ended without a status')));
    const request = createSeekInfoEnvelope({
      channelId: spec.channelId,
      creator: spec.creator,
      seekInfo: {
        start: spec.start,
        stop: spec.stop,
        behavior: spec.behavior ?? SeekBehavior.BLOCK_UNTIL_READY,
        errorResponse: SeekErrorResponse.STRICT,
        contentType: SeekContentType.BLOCK,
      },
    });
    call.write(Buffer.from(request.buffer, request.byteOffset, request.byteLength));
  });
}
