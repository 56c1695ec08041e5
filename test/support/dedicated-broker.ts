import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';

const SCRIPT = join(__dirname, '..', '..', 'scripts', 'infra', 'broker.mjs');

/** A Kafka broker of one test's own, which the test may stop and restart (same ports, same data). */
export class DedicatedBroker {
  readonly runDir: string;
  pid = 0;
  brokers = '';

  constructor() {
    const parent = join(__dirname, '..', '..', '.tmp');
    mkdirSync(parent, { recursive: true });
    this.runDir = mkdtempSync(join(parent, 'broker-'));
  }

  start(): this {
    const out = execFileSync(process.execPath, [SCRIPT, 'start', this.runDir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    const started = JSON.parse(out.trim().split('\n').pop()!) as { pid: number; brokers: string };
    this.pid = started.pid;
    this.brokers = started.brokers;
    return this;
  }

  /** Stops the broker but keeps its data, so start() brings the same broker back. */
  stopKeepingData(): void {
    execFileSync(process.execPath, [SCRIPT, 'stop', String(this.pid), this.runDir, '--keep'], { stdio: 'inherit' });
  }

  destroy(): void {
    if (this.pid) execFileSync(process.execPath, [SCRIPT, 'stop', String(this.pid), this.runDir], { stdio: 'inherit' });
  }
}
