import { MemoryStorage } from '../../src/raft/memoryStorage.js';
import { storageContractSuite } from './storageContract.js';

storageContractSuite('MemoryStorage', () => ({ storage: new MemoryStorage() }));
