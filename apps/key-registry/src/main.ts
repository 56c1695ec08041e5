import { runStandalone } from '@keywarden/platform';
import { startKeyRegistry } from './key-registry.service';

runStandalone('key-registry', startKeyRegistry);
