import { runStandalone } from '@keywarden/platform';
import { startEdgeValidator } from './edge-validator.service';

runStandalone('edge-validator', startEdgeValidator);
