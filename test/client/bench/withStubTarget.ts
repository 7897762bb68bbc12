// A harness target as a Fabric user would give it — an endpoint, a channel and
// an MSP directory made by keygen — pointed at a stub orderer in this process,
// with a signed-envelope supply; everything closed after `use`.

import path from 'node:path';
import { freeNodePorts, keygen } from '../../../src/cli/index.js';
import { EnvelopeSupply, externalTarget, startStubOrderer, type BenchTarget, type StubOptions, type StubOrderer } from '../../../src/client/index.js';

export interface StubRig {
  readonly stub: StubOrderer;
  readonly target: BenchTarget;
  readonly supply: EnvelopeSupply;
}

export async function withStubTarget<T>(
  dir: string,
  options: { stub: StubOptions; channelId: string; envelopeBytes: number; prepare: number },
  use: (rig: StubRig) => Promise<T>,
): Promise<T> {
  const manifest = keygen({ outDir: dir, nodes: 1, algorithm: 'ecdsa-p256', channelId: options.channelId, ports: await freeNodePorts(1), engine: 'native' });
  const stub = await startStubOrderer(options.stub);
  const target = await externalTarget({
    endpoints: [stub.address],
    channelId: options.channelId,
    mspDir: path.join(dir, manifest.client.mspDir),
    mspId: manifest.client.mspId,
    envelopeBytes: options.envelopeBytes,
  });
  const supply = new EnvelopeSupply(target.signer, 1);
  try {
    await supply.prepare(options.prepare);
    return await use({ stub, target, supply });
  } finally {
    await supply.close();
    await target.close();
    await stub.close();
  }
}
