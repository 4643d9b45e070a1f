import { MemoryApiKeyStore } from './memory.js';
import { describeApiKeyStoreContract } from './store-contract.js';

describeApiKeyStoreContract(
  'memory',
  async () => {
    const store = new MemoryApiKeyStore();
    return { store, cleanup: () => store.close() };
  },
  { shared: false },
);
