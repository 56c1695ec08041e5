import { runStandalone } from '@keywarden/platform';
import { startNotifier } from './notifier.service';

runStandalone('notifier', (infra) => startNotifier(infra));
