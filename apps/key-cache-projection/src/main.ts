import { runStandalone } from '@keywarden/platform';
import { startKeyCacheProjection } from './key-cache-projection.service';

runStandalone('key-cache-projection', startKeyCacheProjection);
