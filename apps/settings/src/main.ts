import { runStandalone } from '@keywarden/platform';
import { startSettings } from './settings.service';

runStandalone('settings', startSettings);
