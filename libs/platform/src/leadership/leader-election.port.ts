/** The duties that run in exactly one process at a time, whichever registry or settings instance holds them. */
export type LeaderRole = 'key-lifecycle-relay' | 'settings-relay' | 'lifecycle-scheduler';

/** What a process does while it holds a role. */
export type LeaderDuty = Readonly<{
  /** Called once leadership is gained; a rejection gives the role back and the campaign retries. */
  lead(): Promise<void>;
  /** Called once leadership is lost or resigned, after `lead` settled; stops everything `lead` started. */
  stepDown(): Promise<void>;
}>;

/** One process's candidacy for one role. */
export interface Campaign {
  isLeader(): boolean;
  /** Steps down if leading, gives the role back and stops campaigning. */
  resign(): Promise<void>;
}

export interface LeaderElection {
  /**
   * Campaigns for the role until resigned: `duty.lead()` each time it is gained, `duty.stepDown()`
   * each time it is lost. Resolves after the first attempt, so a process that wins at start-up is
   * already leading when its application finishes bootstrapping.
   */
  campaign(role: LeaderRole, duty: LeaderDuty): Promise<Campaign>;
  close(): Promise<void>;
}

export const LEADER_ELECTION = Symbol('LEADER_ELECTION');
