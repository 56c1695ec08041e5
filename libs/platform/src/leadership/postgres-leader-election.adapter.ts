import { Client } from 'pg';
import type { Logger } from 'pino';
import { Campaign, LeaderDuty, LeaderElection, LeaderRole } from './leader-election.port';
import { LeadershipStatus } from './leadership-status';

export type PostgresLeaderElectionOptions = Readonly<{
  /** A follower tries the lock this often; the main term of the takeover time. @default 250 */
  retryMs?: number;
  /** The leader checks its session this often and steps down when it fails. @default 1000 */
  heartbeatMs?: number;
  /**
   * After winning the lock, wait this long before leading: a deposed leader whose session was closed
   * under it (pg_terminate_backend, a restart of PostgreSQL) has stepped down by then, so two
   * relays never publish at once. @default 250
   */
  handoverMs?: number;
  /** @default 2000 */
  connectTimeoutMs?: number;
}>;

/** Every Keywarden advisory lock uses this first key, so they never collide with another application's locks. */
const LOCK_NAMESPACE = 'keywarden';

/**
 * Leadership by a PostgreSQL session-level advisory lock (`pg_try_advisory_lock`), one dedicated
 * connection per role. PostgreSQL releases the lock when the session ends, so a leader that dies
 * (SIGKILL: the kernel closes its socket) frees the role at once; a leader that loses its
 * connection steps down before doing anything else. The session asks the server to probe an idle
 * connection after 5 s, so a leader cut off from the network loses the lock within ~10 s, after it
 * has stepped down by its own failed heartbeat (1 s + 2 s timeout).
 */
export class PostgresLeaderElection implements LeaderElection {
  private readonly campaigns = new Set<PostgresCampaign>();

  constructor(
    private readonly connectionString: string,
    private readonly logger: Logger,
    private readonly options: PostgresLeaderElectionOptions = {},
  ) {}

  async campaign(role: LeaderRole, duty: LeaderDuty): Promise<Campaign> {
    const campaign = new PostgresCampaign(this.connectionString, new LeadershipStatus(role, duty, this.logger), this.logger, this.options, () =>
      this.campaigns.delete(campaign),
    );
    this.campaigns.add(campaign);
    await campaign.attempt();
    return campaign;
  }

  async close(): Promise<void> {
    await Promise.all([...this.campaigns].map((c) => c.resign()));
  }
}

class PostgresCampaign implements Campaign {
  private client?: Client;
  private timer?: NodeJS.Timeout;
  private resigned = false;
  private readonly retryMs: number;
  private readonly heartbeatMs: number;
  private readonly handoverMs: number;
  private readonly connectTimeoutMs: number;

  constructor(
    private readonly connectionString: string,
    private readonly status: LeadershipStatus,
    private readonly logger: Logger,
    options: PostgresLeaderElectionOptions,
    private readonly onResigned: () => void,
  ) {
    this.retryMs = options.retryMs ?? 250;
    this.heartbeatMs = options.heartbeatMs ?? 1000;
    this.handoverMs = options.handoverMs ?? 250;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 2000;
  }

  isLeader(): boolean {
    return this.status.isLeader;
  }

  /** One try for the lock; schedules the next step (heartbeat when leading, retry otherwise). */
  async attempt(): Promise<void> {
    if (this.resigned) return;
    try {
      const client = this.client ?? (await this.connect());
      const { rows } = await client.query<{ held: boolean }>('SELECT pg_try_advisory_lock(hashtext($1), hashtext($2)) AS held', [LOCK_NAMESPACE, this.status.role]);
      if (!rows[0].held) return this.schedule(() => this.attempt(), this.retryMs);
      await delay(this.handoverMs);
      if (this.client !== client || this.resigned) return; // lost or resigned while handing over
      if (await this.status.gained()) return this.schedule(() => this.heartbeat(), this.heartbeatMs);
      await this.dropConnection(); // lead failed: give the lock back, try again later
      this.schedule(() => this.attempt(), this.retryMs);
    } catch (error) {
      this.logger.debug({ role: this.status.role, err: error }, 'leader election attempt failed');
      await this.dropConnection();
      this.schedule(() => this.attempt(), this.retryMs);
    }
  }

  private async heartbeat(): Promise<void> {
    const client = this.client;
    if (this.resigned || !client) return;
    try {
      await client.query('SELECT 1');
      this.schedule(() => this.heartbeat(), this.heartbeatMs);
    } catch (error) {
      await this.connectionLost(client, error);
    }
  }

  private async connect(): Promise<Client> {
    const client = new Client({
      connectionString: this.connectionString,
      application_name: `keywarden-leader-${this.status.role}`,
      connectionTimeoutMillis: this.connectTimeoutMs,
      query_timeout: this.connectTimeoutMs,
      keepAlive: true,
    });
    // The session is the lock: whatever ends it ends the leadership.
    client.on('error', (error) => void this.connectionLost(client, error));
    client.on('end', () => void this.connectionLost(client, new Error('connection ended')));
    await client.connect();
    await client.query('SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 1; SET tcp_keepalives_count = 3');
    this.client = client;
    return client;
  }

  private async connectionLost(client: Client, error: unknown): Promise<void> {
    if (this.client !== client) return;
    this.client = undefined;
    clearTimeout(this.timer);
    client.end().catch(() => undefined);
    await this.status.lost(error instanceof Error ? error.message : String(error));
    this.schedule(() => this.attempt(), this.retryMs);
  }

  private async dropConnection(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private schedule(step: () => Promise<void>, afterMs: number): void {
    if (this.resigned) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void step(), afterMs);
    this.timer.unref();
  }

  async resign(): Promise<void> {
    if (this.resigned) return;
    this.resigned = true;
    clearTimeout(this.timer);
    this.onResigned();
    // Step down before giving the lock back, so the next leader starts after this one stopped.
    await this.status.lost('resigned');
    await this.dropConnection();
    this.status.close();
  }
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
