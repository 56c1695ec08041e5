// A dedicated Kafka broker for one test, as a command: `start <runDir>` prints {pid, brokers} as
// JSON; `stop <pid> <runDir> [--keep]` stops it, keeping its data (and ports) for a restart.
import { startKafka, stopKafka } from './kafka.mjs';

const [command, ...args] = process.argv.slice(2);
try {
  if (command === 'start') {
    const { pid, brokers, startupMs } = await startKafka({ runDir: args[0] });
    process.stdout.write(`${JSON.stringify({ pid, brokers, startupMs })}\n`);
  } else if (command === 'stop') {
    await stopKafka({ pid: Number(args[0]), runDir: args[1] }, { keepFiles: args.includes('--keep') });
  } else {
    process.stderr.write('usage: broker.mjs start <runDir> | stop <pid> <runDir> [--keep]\n');
    process.exit(2);
  }
} catch (error) {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
