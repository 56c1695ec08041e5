import type { Logger } from 'pino';
import { observeGauge } from '@keywarden/observability';
import { LeaderDuty, LeaderRole } from './leader-election.port';

/**
 * The bookkeeping every adapter shares: runs the duty's lead/stepDown strictly one after the other,
 * logs each change of leadership and reports it as `keywarden_leader{role}` (1 leading, 0 standing by).
 */
export class LeadershipStatus {
  private leading = false;
  private transitions: Promise<void> = Promise.resolve();
  private readonly unobserve: () => void;

  constructor(
    readonly role: LeaderRole,
    private readonly duty: LeaderDuty,
    private readonly logger: Logger,
  ) {
    this.unobserve = observeGauge(
      { name: 'keywarden_leader', help: 'Whether this process holds the role (1) or stands by (0)', labelNames: ['role'] },
      async () => [[{ role }, this.leading ? 1 : 0]],
    );
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** Gained: runs `lead`. Resolves false (and stays a follower) when `lead` failed, or rejects with its error when `rethrow`. */
  gained(rethrow = false): Promise<boolean> {
    const result = this.transitions.then(async () => {
      if (this.leading) return true;
      this.leading = true;
      this.logger.info({ role: this.role }, 'leadership gained');
      try {
        await this.duty.lead();
        return true;
      } catch (error) {
        this.logger.error({ role: this.role, err: error }, 'could not take up the role; giving it back');
        await this.stepDown();
        if (rethrow) throw error;
        return false;
      }
    });
    this.transitions = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /** Lost or resigned: runs `stepDown` if leading. */
  lost(reason: string): Promise<void> {
    const result = this.transitions.then(async () => {
      if (!this.leading) return;
      this.logger.warn({ role: this.role, reason }, 'leadership lost');
      await this.stepDown();
    });
    this.transitions = result.catch(() => undefined);
    return result;
  }

  close(): void {
    this.unobserve();
  }

  private async stepDown(): Promise<void> {
    this.leading = false;
    await this.duty.stepDown().catch((error) => this.logger.error({ role: this.role, err: error }, 'stepping down failed'));
  }
}
