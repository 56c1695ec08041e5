import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { waitFor } from './wait-for';

const ROOT = join(__dirname, '..', '..');

/** Builds dist/ once when sources changed (the same check `npm start` makes). */
export function ensureBuilt(): void {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'ensure-build.mjs')], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * One Keywarden service as a real OS process (`node dist/apps/<app>/src/main.js`), its JSON log
 * lines collected so tests can wait on them and read them.
 */
export class ServiceProcess {
  readonly lines: string[] = [];
  private child?: ChildProcess;
  private exited?: Promise<number | null>;

  constructor(
    readonly app: string,
    private readonly env: Record<string, string>,
  ) {}

  start(): this {
    // The run's DATABASE_URL names the test server, where each test creates a database of its own:
    // a service uses PostgreSQL only when its test passes it one.
    const { DATABASE_URL: _testServer, ...inherited } = process.env;
    const child = spawn(process.execPath, [join(ROOT, 'dist', 'apps', this.app, 'src', 'main.js')], {
      cwd: ROOT,
      // The processes of one test share its KEYWARDEN_DATA_DIR, and so the key material generated there.
      env: { ...inherited, KEYWARDEN_DEV_SHARED_DATA_DIR: 'true', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let buffered = '';
    const collect = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      this.lines.push(...parts.filter((l) => l.trim()));
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    this.child = child;
    return this;
  }

  async waitForLog(pattern: RegExp, timeoutMs = 30_000): Promise<string> {
    return waitFor(() => this.lines.find((l) => pattern.test(l)), {
      timeoutMs,
      description: `${this.app} to log ${pattern} (last lines: ${this.lines.slice(-5).join(' | ')})`,
    });
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Graceful stop (SIGTERM), then SIGKILL if it does not exit in time. */
  async stop(timeoutMs = 15_000): Promise<void> {
    if (!this.running) return;
    this.child!.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** A crash: no shutdown hook runs, nothing is flushed or committed. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child!.kill('SIGKILL');
    await this.exited;
  }
}
