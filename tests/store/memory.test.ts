import { MemoryStore } from '../../sdk/store/index.js';
import { describeStoreContract } from './store-contract.js';

describeStoreContract('memory', () => new MemoryStore());
