import type { Logger } from 'pino';
import { Campaign, LeaderDuty, LeaderElection, LeaderRole } from './leader-election.port';
import { LeadershipStatus } from './leadership-status';

/**
 * The embedded default (SQLite, in-process bus): the data folder belongs to one process, so that
 * process holds every role at once. Also the choice when no shared database can arbitrate (EventStoreDB).
 */
export class SingleProcessLeaderElection implements LeaderElection {
  private readonly campaigns = new Set<Campaign>();

  constructor(private readonly logger: Logger) {}

  /** Leads at once; a failing `lead` fails the start-up, as it would without an election. */
  async campaign(role: LeaderRole, duty: LeaderDuty): Promise<Campaign> {
    const status = new LeadershipStatus(role, duty, this.logger);
    try {
      await status.gained(true);
    } catch (error) {
      status.close();
      throw error;
    }
    const campaign: Campaign = {
      isLeader: () => status.isLeader,
      resign: async () => {
        this.campaigns.delete(campaign);
        await status.lost('resigned');
        status.close();
      },
    };
    this.campaigns.add(campaign);
    return campaign;
  }

  async close(): Promise<void> {
    await Promise.all([...this.campaigns].map((c) => c.resign()));
  }
}
