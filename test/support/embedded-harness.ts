import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DevelopmentIssuer } from '@keywarden/auth';
import { ManualClock } from '@keywarden/clock';
import { loadConfig } from '@keywarden/config';
import { Infrastructure, RunningService, ServiceStarter } from '@keywarden/platform';
import { LogCapture } from './log-capture';

export type HarnessOptions = Readonly<{
  dataDir?: string;
  env?: Record<string, string>;
  start?: string;
}>;

/**
 * Runs services in-process on the embedded adapters (SQLite in a temp folder, in-process bus,
 * in-memory cache) with a manual clock and captured logs: the HTTP tests' world.
 */
export class EmbeddedHarness {
  readonly logs = new LogCapture();
  readonly clock: ManualClock;
  readonly infra: Infrastructure;
  readonly dataDir: string;
  private readonly running: RunningService[] = [];
  private readonly ownsDataDir: boolean;
  private issuer?: DevelopmentIssuer;

  constructor(options: HarnessOptions = {}) {
    this.ownsDataDir = options.dataDir === undefined;
    this.dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'keywarden-test-'));
    this.clock = new ManualClock(options.start ?? new Date().toISOString());
    const config = loadConfig({ KEYWARDEN_DATA_DIR: this.dataDir, REGISTRY_PORT: '0', SETTINGS_PORT: '0', EDGE_PORT: '0', LOG_LEVEL: 'info', ...options.env });
    this.infra = new Infrastructure(config, 'test', { clock: this.clock, logDestination: this.logs });
  }

  async start(...starters: ServiceStarter[]): Promise<RunningService[]> {
    const started: RunningService[] = [];
    for (const start of starters) started.push(await start(this.infra));
    this.running.push(...started);
    return started;
  }

  url(name: string): string {
    const service = this.running.find((s) => s.name === name);
    if (!service?.url) throw new Error(`service ${name} is not running with a URL`);
    return service.url.replace('[::1]', '127.0.0.1').replace('0.0.0.0', '127.0.0.1');
  }

  /** A development admin token (the same issuer `npm run admin-token` uses). */
  async token(orgId: string, role: 'admin' | 'operator' = 'admin', email = `admin@${orgId}.test`): Promise<string> {
    this.issuer ??= new DevelopmentIssuer(this.dataDir);
    return this.issuer.issue({ orgId, email, role });
  }

  async stop(options: { keepData?: boolean } = {}): Promise<void> {
    for (const service of this.running.reverse()) await service.close();
    this.running.length = 0;
    await this.infra.close();
    if (this.ownsDataDir && !options.keepData) rmSync(this.dataDir, { recursive: true, force: true });
  }
}

export const decodeJwtPayload = (jwt: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;
