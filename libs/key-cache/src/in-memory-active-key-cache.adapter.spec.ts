import { InMemoryActiveKeyCache } from './in-memory-active-key-cache.adapter';
import { runActiveKeyCacheContract } from './testing/active-key-cache.contract';

runActiveKeyCacheContract('in-memory', async () => ({ cache: new InMemoryActiveKeyCache(), cleanup: async () => undefined }));
