// How much of a Deliver stream's blocks waits in the transport: blocks are
// written while it holds less than DELIVER_WRITE_BUFFER_BYTES, even after it
// called itself full, and the stream waits for 'drain' only past that.

import { EventEmitter } from 'node:events';
import pino from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { decodeDeliverResponseRaw } from '../../src/block/index.js';
import { DELIVER_WRITE_BUFFER_BYTES, serveDeliver } from '../../src/server/deliver.js';
import { ServerMetrics } from '../../src/server/metrics.js';
import type { StreamCall } from '../../src/server/serverCall.js';
import { FakeChannel, FakeRegistry } from './support/fakeChannels.js';
import { oldestToNewest, seekRequest } from './support/envelopes.js';

/** A transport that calls itself full after every write and holds `bytesPerWrite` per response until flush(). */
class HeldTransportCall extends EventEmitter implements StreamCall {
  readonly responses: Uint8Array[][] = [];
  #held = 0;
  ended = false;

  constructor(readonly bytesPerWrite: number) {
    super();
  }

  get writableBytes(): number {
    return this.#held;
  }

  writePieces(pieces: readonly Uint8Array[]): boolean {
    this.responses.push([...pieces]);
    this.#held += this.bytesPerWrite;
    return false;
  }

  write(message: Uint8Array): boolean {
    return this.writePieces([message]);
  }

  writeAll(messages: readonly Uint8Array[]): boolean {
    for (const m of messages) this.writePieces([m]);
    return false;
  }

  /** The client read everything: the buffer empties and 'drain' is emitted. */
  flush(): void {
    this.#held = 0;
    this.emit('drain');
  }

  pause(): void {}
  resume(): void {}
  end(): void {
    this.ended = true;
  }
  getPeer(): string {
    return '127.0.0.1:1';
  }
  headerValues(): readonly string[] {
    return [];
  }
  peerCertificate(): undefined {
    return undefined;
  }
}

function serve(call: HeldTransportCall, channel: FakeChannel): void {
  serveDeliver(call, {
    channels: new FakeRegistry([channel]),
    metrics: new ServerMetrics(new Registry()),
    logger: pino({ level: 'silent' }),
    headerRules: { timeWindowMs: 15 * 60_000, tlsBindingRequired: false },
  });
  call.emit('data', Buffer.from(seekRequest(channel.channelId, oldestToNewest)));
  call.emit('end');
}

/** Resolves after pending promise jobs and one macrotask turn (the stream's awaits settle). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function responseKinds(call: HeldTransportCall): string[] {
  return call.responses.map((pieces) => decodeDeliverResponseRaw(Buffer.concat(pieces)).type);
}

describe('Deliver write buffer', () => {
  it('writes every small block of a request in one go although the transport called itself full after the first', async () => {
    const call = new HeldTransportCall(8 * 1024);
    serve(call, new FakeChannel('mychannel', 20));
    for (let i = 0; i < 5; i++) await settle();
    expect(responseKinds(call)).toEqual([...Array<string>(20).fill('block'), 'status']);
    expect(call.ended).toBe(true);
  });

  it('waits for the transport to drain once it holds DELIVER_WRITE_BUFFER_BYTES, then goes on', async () => {
    const call = new HeldTransportCall(DELIVER_WRITE_BUFFER_BYTES / 4);
    serve(call, new FakeChannel('mychannel', 10));
    for (let i = 0; i < 5; i++) await settle();
    expect(call.responses).toHaveLength(4);
    call.flush();
    for (let i = 0; i < 5; i++) await settle();
    expect(call.responses).toHaveLength(8);
    call.flush();
    for (let i = 0; i < 5; i++) await settle();
    expect(responseKinds(call)).toEqual([...Array<string>(10).fill('block'), 'status']);
  });
});
