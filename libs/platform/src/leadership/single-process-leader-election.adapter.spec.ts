import pino from 'pino';
import { SingleProcessLeaderElection } from './single-process-leader-election.adapter';

describe('SingleProcessLeaderElection', () => {
  const logger = pino({ level: 'silent' });

  it('leads at once and steps down on resignation', async () => {
    const calls: string[] = [];
    const election = new SingleProcessLeaderElection(logger);
    const campaign = await election.campaign('lifecycle-scheduler', { lead: async () => void calls.push('lead'), stepDown: async () => void calls.push('stepDown') });
    expect(campaign.isLeader()).toBe(true);
    await election.close();
    expect(campaign.isLeader()).toBe(false);
    expect(calls).toEqual(['lead', 'stepDown']);
  });

  it('fails the start-up when the duty cannot start, as it would without an election', async () => {
    const election = new SingleProcessLeaderElection(logger);
    await expect(election.campaign('settings-relay', { lead: async () => Promise.reject(new Error('broker down')), stepDown: async () => undefined })).rejects.toThrow('broker down');
  });
});
