import { MemoryStore } from 'descry/store';
import { describeStoreContract } from './store-contract.js';

describeStoreContract('memory', () => new MemoryStore());
