// Server start-up and shutdown: a busy port is a named ListenError, and
// close() ends Deliver streams still waiting for blocks after the grace period.

import * as grpc from '@grpc/grpc-js';
import { orderer } from '@hyperledger/fabric-protos';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { SeekBehavior, SeekContentType, SeekErrorResponse } from '../../src/block/index.js';
import { AtomicBroadcastServer, ListenError, OperationsServer, HealthChecks } from '../../src/server/index.js';
import { FakeChannel, FakeRegistry } from './support/fakeChannels.js';
import { seekRequest, toProtosEnvelope, transaction } from './support/envelopes.js';
import { collect, eventually, silentLogger, startHarness } from './support/harness.js';

describe('server lifecycle', () => {
  it('close() cancels a Deliver stream waiting for a block, and the channel stops waiting', async () => {
    const channel = new FakeChannel('mychannel', 1);
    const harness = await startHarness([channel], { shutdownGraceMs: 50 });
    const stream = harness.client.deliver();
    const done = collect(stream);
    const seek = {
      start: { type: 'specified' as const, number: 5 },
      stop: { type: 'specified' as const, number: 5 },
      behavior: SeekBehavior.BLOCK_UNTIL_READY,
      errorResponse: SeekErrorResponse.STRICT,
      contentType: SeekContentType.BLOCK,
    };
    stream.write(toProtosEnvelope(seekRequest('mychannel', seek)));
    await eventually(() => channel.waiterCount === 1, 'the server waits for block 5');
    await harness.server.close();
    const { error } = await done;
    expect(error?.code).toBe(grpc.status.CANCELLED);
    await eventually(() => channel.waiterCount === 0, 'the wait is aborted');
    harness.client.close();
  });

  it('restarts on the same port with the same metrics registry, and counts on', async () => {
    const metricsRegistry = new Registry();
    const channels = new FakeRegistry([new FakeChannel('mychannel', 1)]);
    const first = await AtomicBroadcastServer.start({ listenAddress: '127.0.0.1:0', shutdownGraceMs: 50 }, { channels, logger: silentLogger, metricsRegistry });
    const port = first.port;
    await first.close();
    const second = await AtomicBroadcastServer.start(
      { listenAddress: `127.0.0.1:${port}`, shutdownGraceMs: 50 },
      { channels, logger: silentLogger, metricsRegistry },
    );
    try {
      expect(second.port).toBe(port);
      const client = new orderer.AtomicBroadcastClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
      const stream = client.broadcast();
      const done = collect(stream);
      stream.write(toProtosEnvelope(transaction('mychannel', 'after restart')));
      stream.end();
      await done;
      client.close();
      expect(await metricsRegistry.getSingleMetricAsString('broadcast_processed_count')).toContain('status="SUCCESS"} 1');
    } finally {
      await second.close();
    }
  });

  it('a busy port is a ListenError naming the address', async () => {
    const first = await AtomicBroadcastServer.start(
      { listenAddress: '127.0.0.1:0' },
      { channels: new FakeRegistry([]), logger: silentLogger, metricsRegistry: new Registry() },
    );
    const address = `127.0.0.1:${first.port}`;
    try {
      const operations = OperationsServer.start(
        { listenAddress: address },
        { health: new HealthChecks(), metricsRegistry: new Registry(), logger: silentLogger },
      );
      await expect(operations).rejects.toThrow(ListenError);
      await expect(operations).rejects.toThrow(`cannot listen on ${address}`);
    } finally {
      await first.close();
    }
  });
});
