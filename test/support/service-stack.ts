import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { DevelopmentIssuer } from '@keywarden/auth';
import { TestUpstream } from '../../apps/edge-validator/src/testing/test-upstream';
import { mailsByEvent, readMailFiles } from './eml-mailbox';
import { ensureBuilt, freePort, ServiceProcess } from './service-process';

/** `kafka`: the services on the run's Kafka and Redis under a namespace of their own; `embedded`: connected adapters off. */
export type StackMode = 'kafka' | 'embedded';
type Agent = ReturnType<typeof request>;

/**
 * The compiled services as OS processes on free ports, an upstream API behind the edge, and one data
 * folder: what every e2e test that runs the real processes starts from. Start and restart services by
 * name; `keywarden` is the all-in-one (`npm start`).
 */
export class ServiceStack {
  readonly upstream = new TestUpstream();
  readonly dataDir: string;
  readonly namespace: string;
  registry!: Agent;
  settings!: Agent;
  edge!: Agent;
  private env: Record<string, string> = {};
  private readonly started: ServiceProcess[] = [];
  private readonly latest = new Map<string, ServiceProcess>();
  private issuer?: DevelopmentIssuer;

  constructor(
    name: string,
    private readonly mode: StackMode,
  ) {
    this.namespace = mode === 'kafka' ? `e2e-${name}-${randomUUID().slice(0, 8)}` : '';
    this.dataDir = mkdtempSync(join(tmpdir(), `keywarden-e2e-${name}-`));
  }

  /** Builds once, starts the upstream and chooses the ports; `env` adds to (or overrides) the services' environment. */
  async prepare(env: Record<string, string> = {}): Promise<void> {
    ensureBuilt();
    await this.upstream.start();
    const [registryPort, settingsPort, edgePort] = [await freePort(), await freePort(), await freePort()];
    // Empty values switch the connected adapters off, whatever the test run's environment holds.
    const adapters: Record<string, string> =
      this.mode === 'kafka'
        ? { KAFKA_BROKERS: process.env.KAFKA_BROKERS!, REDIS_URL: process.env.REDIS_URL!, REGISTRY_URL: `http://127.0.0.1:${registryPort}` }
        : { KAFKA_BROKERS: '', REDIS_URL: '', SMTP_URL: '', EVENTSTORE_CONNECTION_STRING: '' };
    this.env = {
      ...adapters,
      KEYWARDEN_NAMESPACE: this.namespace,
      KEYWARDEN_DATA_DIR: this.dataDir,
      REGISTRY_PORT: String(registryPort),
      SETTINGS_PORT: String(settingsPort),
      EDGE_PORT: String(edgePort),
      EDGE_UPSTREAM_URL: this.upstream.url,
      LOG_LEVEL: 'info',
      ...env,
    };
    this.registry = request(`http://127.0.0.1:${registryPort}`);
    this.settings = request(`http://127.0.0.1:${settingsPort}`);
    this.edge = request(`http://127.0.0.1:${edgePort}`);
  }

  async start(app: string, overrides: Record<string, string> = {}): Promise<ServiceProcess> {
    const service = new ServiceProcess(app, { ...this.env, ...overrides }).start();
    this.started.push(service);
    this.latest.set(app, service);
    await service.waitForLog(app === 'keywarden' ? /Keywarden is running/ : new RegExp(`${app} started`), 90_000);
    return service;
  }

  async restart(app: string, overrides: Record<string, string> = {}): Promise<ServiceProcess> {
    await this.latest.get(app)?.stop();
    return this.start(app, overrides);
  }

  /** The process last started under that name. */
  process(app: string): ServiceProcess {
    const service = this.latest.get(app);
    if (!service) throw new Error(`${app} was not started`);
    return service;
  }

  /** The Authorization header of a development admin (or operator) token, from the stack's own issuer. */
  async authorization(orgId: string, role: 'admin' | 'operator' = 'admin', email = `admin@${orgId}.test`): Promise<Record<string, string>> {
    this.issuer ??= new DevelopmentIssuer(this.dataDir);
    return { Authorization: `Bearer ${await this.issuer.issue({ orgId, email, role })}` };
  }

  /** Events whose notification went out more than once (mail files under the data folder): `[]` when none did. */
  async mailsSentTwice(): Promise<string[]> {
    return [...mailsByEvent(await readMailFiles(this.dataDir))]
      .filter(([, mails]) => mails.length > 1)
      .map(([id, mails]) => `${id}: ${mails.map((m) => m.subject).join(' | ')}`);
  }

  /** Stops the services in the reverse order of their start, then the upstream, and removes the data folder. */
  async close(): Promise<void> {
    for (const service of this.started.reverse()) await service.stop();
    this.started.length = 0;
    await this.upstream.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
