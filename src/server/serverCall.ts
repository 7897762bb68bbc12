// One bidirectional gRPC call on a node:http2 stream: messages in, messages
// out, grpc-status in the trailers. What Broadcast and Deliver need of a call
// and nothing more, in place of grpc-js's server call, which per message runs
// an async decompression step, a Readable push and a pause/resume of the
// HTTP/2 stream, and writes every answer as its own frame buffer and stream
// write (measured: about half of the server's CPU per 1 KiB envelope).
//
// Backpressure: pause() stops both the messages handed out and reading the
// HTTP/2 stream (flow control then pushes back on the client); messages of a
// chunk already read wait in the call until resume(). write() returns false
// when the transport is full; 'drain' says when to go on.

import { EventEmitter } from 'node:events';
import http2 from 'node:http2';
import type { TLSSocket } from 'node:tls';
import { frameMessages, framePieces, GRPC_RESOURCE_EXHAUSTED, GrpcFramingError, GrpcMessageReader } from '../block/index.js';

/** The call as Broadcast and Deliver see it. */
export interface StreamCall {
  on(event: 'data', listener: (message: Buffer) => void): this;
  on(event: 'end' | 'drain' | 'cancelled', listener: () => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  /** Stop handing out messages (and reading the stream) until resume(). */
  pause(): void;
  resume(): void;
  /** Sends one message; false when the transport is full (wait for 'drain'). */
  write(message: Uint8Array): boolean;
  /** Sends several messages in one write. */
  writeAll(messages: readonly Uint8Array[]): boolean;
  /** Sends one message given as pieces (their concatenation), without joining them; as write(). */
  writePieces(pieces: readonly Uint8Array[]): boolean;
  /** Bytes written and not yet taken by the transport (its flow control holds them back until the client reads). */
  readonly writableBytes: number;
  /** Ends the call with status OK. */
  end(): void;
  /** The client's address, host:port. */
  getPeer(): string;
  /** Values of a request header (custom metadata), in order. */
  headerValues(name: string): readonly string[];
  /** The client's TLS certificate (DER in `raw`), undefined without one. */
  peerCertificate(): { readonly raw: Buffer } | undefined;
}

export interface CallLimits {
  readonly maxReceiveMessageBytes: number;
  readonly maxSendMessageBytes: number;
}

const GRPC_OK = 0;

export class GrpcServerCall extends EventEmitter implements StreamCall {
  readonly #stream: http2.ServerHttp2Stream;
  readonly #headers: http2.IncomingHttpHeaders;
  readonly #limits: CallLimits;
  readonly #reader: GrpcMessageReader;
  /** Messages read and not handed out yet (while paused); #next is the first. */
  #queue: Buffer[] = [];
  #next = 0;
  #paused = false;
  #flushScheduled = false;
  #inputEnded = false;
  #endEmitted = false;
  #headersSent = false;
  /** The status the trailers carry once the stream ends; set when the call is ending. */
  #status: { code: number; message: string } | undefined;
  #cancelled = false;

  constructor(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, limits: CallLimits) {
    super();
    this.#stream = stream;
    this.#headers = headers;
    this.#limits = limits;
    this.#reader = new GrpcMessageReader(limits.maxReceiveMessageBytes, String(headers['grpc-encoding'] ?? 'identity'));
    stream.on('data', (chunk: Buffer) => this.#onChunk(chunk));
    stream.on('end', () => {
      this.#inputEnded = true;
      this.#flush();
    });
    stream.on('drain', () => this.emit('drain'));
    stream.on('wantTrailers', () => {
      const status = this.#status ?? { code: GRPC_OK, message: '' };
      stream.sendTrailers({ 'grpc-status': String(status.code), 'grpc-message': encodeURI(status.message) });
    });
    stream.on('aborted', () => this.#cancel());
    stream.on('close', () => {
      if (this.#status === undefined) this.#cancel();
    });
    // A reset by the client also surfaces as 'aborted'/'close'; other stream errors end the call the same way.
    stream.on('error', () => this.#cancel());
  }

  pause(): void {
    this.#paused = true;
    this.#stream.pause();
  }

  resume(): void {
    this.#paused = false;
    if (!this.#stream.destroyed) this.#stream.resume();
    // Handed out on the next tick, never from inside the caller's resume().
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      process.nextTick(() => {
        this.#flushScheduled = false;
        this.#flush();
      });
    }
  }

  write(message: Uint8Array): boolean {
    return this.writeAll([message]);
  }

  writeAll(messages: readonly Uint8Array[]): boolean {
    if (this.#status !== undefined || this.#stream.destroyed) return true;
    for (const m of messages) {
      if (m.byteLength > this.#limits.maxSendMessageBytes) {
        this.#finish(GRPC_RESOURCE_EXHAUSTED, `Sent message larger than max (${m.byteLength} vs. ${this.#limits.maxSendMessageBytes})`);
        return true;
      }
    }
    this.#sendHeaders();
    return this.#stream.write(frameMessages(messages));
  }

  writePieces(pieces: readonly Uint8Array[]): boolean {
    if (this.#status !== undefined || this.#stream.destroyed) return true;
    let length = 0;
    for (const piece of pieces) length += piece.byteLength;
    if (length > this.#limits.maxSendMessageBytes) {
      this.#finish(GRPC_RESOURCE_EXHAUSTED, `Sent message larger than max (${length} vs. ${this.#limits.maxSendMessageBytes})`);
      return true;
    }
    this.#sendHeaders();
    // Corked: the prefix and the pieces leave in one writev, as one write of the joined message would.
    this.#stream.cork();
    let room = true;
    for (const chunk of framePieces(pieces)) room = this.#stream.write(chunk);
    this.#stream.uncork();
    return room;
  }

  get writableBytes(): number {
    return this.#stream.writableLength;
  }

  end(): void {
    this.#finish(GRPC_OK, '');
  }

  getPeer(): string {
    const socket = this.#stream.session?.socket;
    return socket === undefined ? 'unknown' : `${socket.remoteAddress}:${socket.remotePort}`;
  }

  headerValues(name: string): readonly string[] {
    const value = this.#headers[name];
    if (value === undefined) return [];
    return Array.isArray(value) ? value : [value];
  }

  peerCertificate(): { readonly raw: Buffer } | undefined {
    const socket = this.#stream.session?.socket as TLSSocket | undefined;
    const certificate = typeof socket?.getPeerCertificate === 'function' ? socket.getPeerCertificate() : undefined;
    return certificate?.raw === undefined ? undefined : certificate;
  }

  #onChunk(chunk: Buffer): void {
    if (this.#status !== undefined) return;
    let messages: Buffer[];
    try {
      messages = this.#reader.push(chunk);
    } catch (error) {
      if (!(error instanceof GrpcFramingError)) throw error;
      this.#finish(error.code, error.message);
      this.emit('error', error);
      return;
    }
    for (const m of messages) this.#queue.push(m);
    this.#flush();
  }

  /** Hands out queued messages while not paused; 'end' once the client's half is read. */
  #flush(): void {
    while (!this.#paused && this.#next < this.#queue.length && this.#status === undefined) {
      const message = this.#queue[this.#next]!;
      this.#queue[this.#next++] = undefined as unknown as Buffer;
      this.emit('data', message);
    }
    if (this.#next === this.#queue.length) {
      this.#queue = [];
      this.#next = 0;
    }
    if (this.#inputEnded && this.#queue.length === 0 && !this.#endEmitted && !this.#paused) {
      this.#endEmitted = true;
      this.emit('end');
    }
  }

  #sendHeaders(): void {
    if (this.#headersSent) return;
    this.#headersSent = true;
    this.#stream.respond(
      { ':status': 200, 'content-type': 'application/grpc+proto', 'grpc-accept-encoding': 'identity,deflate,gzip' },
      { waitForTrailers: true },
    );
  }

  /** Ends the call with `code`: trailers after what was written, or a trailers-only response. */
  #finish(code: number, message: string): void {
    if (this.#status !== undefined || this.#stream.destroyed) return;
    this.#status = { code, message };
    if (!this.#headersSent) {
      this.#headersSent = true;
      this.#stream.respond(
        { ':status': 200, 'content-type': 'application/grpc+proto', 'grpc-status': String(code), 'grpc-message': encodeURI(message) },
        { endStream: true },
      );
      return;
    }
    this.#stream.end();
  }

  #cancel(): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    if (this.#status === undefined) this.#status = { code: 1, message: 'cancelled' };
    this.emit('cancelled');
  }
}

/** Answers a request for a method this server does not serve (trailers only, as grpc-js does). */
export function refuseCall(stream: http2.ServerHttp2Stream, code: number, message: string): void {
  stream.respond(
    { ':status': 200, 'content-type': 'application/grpc+proto', 'grpc-status': String(code), 'grpc-message': encodeURI(message) },
    { endStream: true },
  );
}

export const HTTP2_CONSTANTS = http2.constants;
