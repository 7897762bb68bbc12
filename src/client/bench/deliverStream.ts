// One Deliver stream of the harness on the same HTTP/2 connection as its
// Broadcast lanes (h2Session.ts), without grpc-js: a POST to the Deliver
// method carrying one signed SeekInfo envelope; every answer is a gRPC
// message (framed in one buffer reused for every block: blockFramer.ts)
// read in place for only what the harness counts (block number and tx keys:
// deliveredTxKeys.ts), never decoded into a Block. The request side stays
// open until the stream ends, as a gRPC client's does.

import http2 from 'node:http2';
import {
  ATOMIC_BROADCAST_SERVICE,
  createSeekInfoEnvelope,
  frameMessages,
  SeekBehavior,
  SeekContentType,
  SeekErrorResponse,
  type EnvelopeCreator,
  type SeekPosition,
} from '../../block/index.js';
import { BlockFramer } from './blockFramer.js';
import { DeliveredTxKeys } from './deliveredTxKeys.js';
import type { H2SessionSource } from './h2Session.js';

const { HTTP2_HEADER_METHOD, HTTP2_HEADER_PATH, HTTP2_HEADER_STATUS, HTTP2_HEADER_CONTENT_TYPE, HTTP2_HEADER_TE } = http2.constants;
/** The largest block answer accepted (the orderer's own limit is far below). */
const BLOCK_BYTES_MAX = 100 * 1024 * 1024;

export interface DeliverStreamSpec {
  readonly channelId: string;
  readonly creator: EnvelopeCreator;
  readonly start: SeekPosition;
  readonly stop: SeekPosition;
  /**
   * Each block as it arrives: its number, the keys of its transactions (txKey.ts; envelopes without a tx id
   * left out) in keys[0..count), and when it arrived (performance.now()). `keys` is reused for the next block.
   */
  readonly onBlock: (number: number, keys: Float64Array, count: number, nowMs: number) => void;
  readonly signal: AbortSignal;
}

/** Why a Deliver stream ended other than with a status. */
export class DeliverStreamError extends Error {
  override readonly name = 'DeliverStreamError';
}

/** Follows one Deliver request; resolves with the status that ends it, rejects with DeliverStreamError if the stream fails, is refused or aborted first. */
export function deliverStream(source: H2SessionSource, spec: DeliverStreamSpec): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let settled = false;
    let call: http2.ClientHttp2Stream | undefined;
    const settle = (outcome: number | Error): void => {
      if (settled) return;
      settled = true;
      spec.signal.removeEventListener('abort', onAbort);
      if (call !== undefined && !call.closed) call.close(http2.constants.NGHTTP2_CANCEL);
      if (typeof outcome === 'number') resolve(outcome);
      else reject(outcome);
    };
    const fail = (reason: string): void => settle(new DeliverStreamError(`Deliver from ${source.label}: ${reason}`));
    const onAbort = (): void => fail('aborted');
    if (spec.signal.aborted) return onAbort();
    spec.signal.addEventListener('abort', onAbort);
    try {
      call = source.session().request(
        {
          [HTTP2_HEADER_METHOD]: 'POST',
          [HTTP2_HEADER_PATH]: ATOMIC_BROADCAST_SERVICE.Deliver.path,
          [HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc',
          [HTTP2_HEADER_TE]: 'trailers',
        },
        { endStream: false },
      );
    } catch (error) {
      return fail((error as Error).message);
    }
    const framer = new BlockFramer(BLOCK_BYTES_MAX);
    const answer = new DeliveredTxKeys();
    const grpcStatus = (headers: http2.IncomingHttpHeaders): void => {
      const status = headers['grpc-status'];
      if (status === undefined) return;
      if (status === '0') return fail('stream ended without a status');
      const message = headers['grpc-message'];
      fail(`gRPC status ${status}${message === undefined ? '' : `: ${decodeURIComponent(String(message))}`}`);
    };
    call.on('response', (headers) => {
      const status = Number(headers[HTTP2_HEADER_STATUS]);
      if (status !== 200) fail(`HTTP status ${status}`);
      else grpcStatus(headers);
    });
    call.on('trailers', grpcStatus);
    call.on('data', (chunk: Buffer) => {
      if (settled) return;
      try {
        framer.push(chunk, (message) => {
          const type = answer.read(message);
          if (type === 'block') spec.onBlock(answer.number, answer.keys, answer.count, performance.now());
          else if (type === 'status') settle(answer.status);
          return !settled;
        });
      } catch (error) {
        fail(`unreadable answer: ${(error as Error).message}`);
      }
    });
    call.on('error', (error: Error) => fail(error.message));
    call.on('close', () => fail('stream ended without a status'));
    const request = createSeekInfoEnvelope({
      channelId: spec.channelId,
      creator: spec.creator,
      seekInfo: {
        start: spec.start,
        stop: spec.stop,
        behavior: SeekBehavior.BLOCK_UNTIL_READY,
        errorResponse: SeekErrorResponse.STRICT,
        contentType: SeekContentType.BLOCK,
      },
    });
    call.write(frameMessages([request]));
  });
}
