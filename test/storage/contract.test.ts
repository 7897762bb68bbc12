// The core's Storage contract suite (reference semantics: MemoryStorage) run on
// the durable storage of both engines, through a real environment on disk.

import { storageContractSuite } from '../raft/storageContract.js';
import { engines, openEnv, removeDir, tempDir } from './helpers.js';

for (const engine of engines) {
  storageContractSuite(`DurableRaftStorage (${engine})`, () => {
    const dir = tempDir();
    const env = openEnv(engine, dir);
    return {
      storage: env.channel('contract').raft,
      cleanup: async () => {
        await env.close();
        removeDir(dir);
      },
    };
  });
}
