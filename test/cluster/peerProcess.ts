// A consenter's cluster transport alone in a child process, so a test can
// kill -9 it or freeze it (SIGSTOP). Reads its set-up as JSON from argv[2],
// accepts every forwarded submit, and prints "ready <port>" once listening.

import pino from 'pino';
import { GrpcClusterTransport } from '../../src/cluster/transport.js';
import type { ClusterPeer } from '../../src/cluster/types.js';

interface PeerProcessConfig {
  readonly id: number;
  readonly port: number;
  readonly certPem: string;
  readonly keyPem: string;
  readonly caPem: string;
  readonly peers: ClusterPeer[];
}

const config = JSON.parse(process.argv[2] ?? '{}') as PeerProcessConfig;
const transport = await GrpcClusterTransport.start({
  selfId: config.id,
  listenAddress: `127.0.0.1:${config.port}`,
  tls: { certPem: config.certPem, keyPem: config.keyPem, caPems: [config.caPem] },
  peers: config.peers,
  logger: pino({ level: 'silent' }),
});
transport.setHandler('ch1', {
  onConsensus: () => undefined,
  onSubmit: () => Promise.resolve(),
});
process.stdout.write(`ready ${transport.port}\n`);
process.on('SIGTERM', () => {
  void transport.close().then(() => process.exit(0));
});
