// A BlockSource over gRPC: Fabric's AtomicBroadcast.Deliver of another
// orderer, asked with a SeekInfo signed by this orderer's identity (the
// server authorizes Deliver by channel membership, as Fabric), over TLS with
// this orderer's client certificate when the listener requires one. Messages
// are raw bytes through the block layer's codec, as in src/server.

import { createHash } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import {
  createSeekInfoEnvelope,
  decodeDeliverResponseRaw,
  SeekBehavior,
  SeekContentType,
  SeekErrorResponse,
  Status,
  type EnvelopeCreator,
  type SeekPosition,
} from '../block/index.js';
import { OrdererError } from '../errors.js';
import type { BlockSource } from './blockPuller.js';
import { systemClock, type ChainClock } from '../clock.js';
import { BlockPullError } from './pulledBlockVerifier.js';

const DELIVER_PATH = '/orderer.AtomicBroadcast/Deliver';
/**
 * HTTP/2 flow-control window of a source's connection and streams (the default
 * is 64 KiB): how many bytes of blocks the serving orderer may send ahead of
 * what this node has read. With 64 KiB, a few small blocks, the serving
 * orderer waited for this node's window updates every few blocks, and a busy
 * one handled each only at its next event-loop turn.
 */
export const DELIVER_SOURCE_WINDOW_BYTES = 1024 * 1024;
const passThrough = (bytes: Buffer): Buffer => bytes;

export interface DeliverSourceTls {
  /** PEM of the CA(s) that issued the orderer's server certificate. */
  readonly rootCasPem: string;
  /** This orderer's TLS client certificate and key (mutual TLS); also bound into requests (tls_cert_hash). */
  readonly clientCertPem?: string;
  readonly clientKeyPem?: string;
  readonly serverNameOverride?: string;
}

export interface DeliverSourceOptions {
  /** For logs, e.g. "orderer 2". */
  readonly name: string;
  /** host:port of the orderer's AtomicBroadcast listener. */
  readonly address: string;
  /** Plaintext when absent (tests only). */
  readonly tls?: DeliverSourceTls;
  /** This orderer's signing identity: Deliver requests are signed with it. */
  readonly creator: EnvelopeCreator;
  /** A stream that delivers nothing for this long is abandoned (the next orderer is tried). Default 10 000. */
  readonly idleTimeoutMs?: number;
  /** Largest block accepted. Default 100 MiB (Fabric's default). */
  readonly maxReceiveMessageBytes?: number;
  readonly clock?: ChainClock;
}

export class DeliverBlockSource implements BlockSource {
  readonly name: string;
  readonly #opts: DeliverSourceOptions;
  readonly #client: grpc.Client;
  readonly #tlsCertHash: Uint8Array | undefined;

  constructor(options: DeliverSourceOptions) {
    this.#opts = options;
    this.name = `${options.name} (${options.address})`;
    const { tls } = options;
    const credentials =
      tls === undefined
        ? grpc.credentials.createInsecure()
        : grpc.credentials.createSsl(
            Buffer.from(tls.rootCasPem),
            tls.clientKeyPem === undefined ? null : Buffer.from(tls.clientKeyPem),
            tls.clientCertPem === undefined ? null : Buffer.from(tls.clientCertPem),
          );
    this.#tlsCertHash = tls?.clientCertPem === undefined ? undefined : pemCertificateSha256(tls.clientCertPem);
    this.#client = new grpc.Client(options.address, credentials, {
      'grpc.max_receive_message_length': options.maxReceiveMessageBytes ?? 100 * 1024 * 1024,
      'grpc-node.flow_control_window': DELIVER_SOURCE_WINDOW_BYTES,
      ...(tls?.serverNameOverride !== undefined && {
        'grpc.ssl_target_name_override': tls.serverNameOverride,
        'grpc.default_authority': tls.serverNameOverride,
      }),
    });
  }

  deliver(channelId: string, fromNumber: number, toNumber: number, onBlock: (bytes: Uint8Array) => Promise<void>, signal: AbortSignal): Promise<void> {
    let received = 0;
    const expected = toNumber - fromNumber + 1;
    return this.#stream(channelId, { type: 'specified', number: fromNumber }, { type: 'specified', number: toNumber }, signal, async (bytes) => {
      if (++received > expected) throw new BlockPullError(`${this.name} sent more than the ${expected} blocks asked for`);
      await onBlock(bytes);
    });
  }

  async newest(channelId: string, signal: AbortSignal): Promise<Uint8Array> {
    let newest: Uint8Array | undefined;
    await this.#stream(channelId, { type: 'newest' }, { type: 'newest' }, signal, async (bytes) => {
      newest = bytes;
    });
    if (newest === undefined) throw new BlockPullError(`${this.name} answered SUCCESS to a request for its newest block without a block`);
    return newest;
  }

  close(): void {
    this.#client.close();
  }

  /** One Deliver request; resolves on SUCCESS after every block was handled, rejects with BlockPullError otherwise. */
  #stream(channelId: string, start: SeekPosition, stop: SeekPosition, signal: AbortSignal, onBlock: (bytes: Uint8Array) => Promise<void>): Promise<void> {
    const call = this.#client.makeBidiStreamRequest(DELIVER_PATH, passThrough, passThrough);
    const clock = this.#opts.clock ?? systemClock;
    const idleMs = this.#opts.idleTimeoutMs ?? 10_000;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      // Blocks are handled one after the other: the stream is paused while one is appended.
      let handling: Promise<void> = Promise.resolve();
      let idle = clock.after(idleMs, () => fail(new BlockPullError(`${this.name} sent nothing for ${idleMs} ms`)));
      const onAbort = (): void => fail(new BlockPullError(`pull from ${this.name} aborted`));
      const finish = (): void => {
        settled = true;
        idle.cancel();
        signal.removeEventListener('abort', onAbort);
      };
      const fail = (err: unknown): void => {
        if (settled) return;
        finish();
        call.cancel();
        reject(err instanceof OrdererError ? err : new BlockPullError(`pull from ${this.name}: ${(err as Error).message}`, { cause: err }));
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      call.on('data', (data: Buffer) => {
        idle.cancel();
        idle = clock.after(idleMs, () => fail(new BlockPullError(`${this.name} sent nothing for ${idleMs} ms`)));
        let response;
        try {
          response = decodeDeliverResponseRaw(data);
        } catch (err) {
          return fail(err);
        }
        if (response.type === 'block') {
          call.pause();
          // Left marshaled: the puller decodes it once to verify it and stores these bytes.
          const bytes = response.blockBytes;
          handling = handling.then(() => onBlock(bytes)).then(() => void call.resume(), fail);
        } else if (response.type === 'status') {
          const status = response.status;
          void handling.then(() => {
            if (status !== Status.SUCCESS) return fail(new BlockPullError(`${this.name} answered the Deliver request with status ${Status[status] ?? status}`));
            if (settled) return;
            finish();
            call.end();
            resolve();
          });
        }
      });
      call.on('error', (err: Error) => fail(new BlockPullError(`Deliver stream to ${this.name} failed: ${err.message}`, { cause: err })));
      call.on('end', () => void handling.then(() => fail(new BlockPullError(`${this.name} ended the Deliver stream without a status`))));
      const request = createSeekInfoEnvelope({
        channelId,
        creator: this.#opts.creator,
        seekInfo: { start, stop, behavior: SeekBehavior.FAIL_IF_NOT_READY, errorResponse: SeekErrorResponse.STRICT, contentType: SeekContentType.BLOCK },
        ...(this.#tlsCertHash !== undefined && { tlsCertHash: this.#tlsCertHash }),
      });
      call.write(Buffer.from(request.buffer, request.byteOffset, request.byteLength));
    });
  }
}

/** SHA-256 of the DER of a PEM certificate (Fabric's TLS binding: tls_cert_hash). */
function pemCertificateSha256(pem: string): Uint8Array {
  const body = pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  return createHash('sha256').update(Buffer.from(body, 'base64')).digest();
}
