// A stub orderer in its own process (src/client/bench/stubOrderer.ts): prints
// its address on stdout, stops when stdin closes (its parent is gone).

import { startStubOrderer } from '../../src/client/index.js';

const stub = await startStubOrderer({ blockIntervalMs: Number(process.argv[2] ?? 100) });
process.stdout.write(`${stub.address}\n`);
process.stdin.resume();
process.stdin.on('end', () => void stub.close().then(() => process.exit(0)));
process.stdin.on('close', () => void stub.close().then(() => process.exit(0)));
