import pino from 'pino';
import { metricsRegistry } from '@keywarden/observability';
import { LogCapture } from '../../../../test/support/log-capture';
import { LeadershipStatus } from './leadership-status';

describe('LeadershipStatus', () => {
  it('runs lead and stepDown one after the other, even when the loss arrives while lead is still running', async () => {
    const calls: string[] = [];
    let finishLead!: () => void;
    const status = new LeadershipStatus(
      'key-lifecycle-relay',
      {
        lead: () => new Promise<void>((resolve) => (finishLead = () => (calls.push('lead done'), resolve()))),
        stepDown: async () => void calls.push('stepDown'),
      },
      pino({ level: 'silent' }),
    );
    const gained = status.gained();
    const lost = status.lost('connection ended');
    await new Promise((resolve) => setImmediate(resolve));
    finishLead();
    await Promise.all([gained, lost]);
    expect(calls).toEqual(['lead done', 'stepDown']);
    expect(status.isLeader).toBe(false);
    status.close();
  });

  it('gives the role back when lead fails, logs each change and reports keywarden_leader{role}', async () => {
    const logs = new LogCapture();
    const failing = new LeadershipStatus('settings-relay', { lead: async () => Promise.reject(new Error('broker down')), stepDown: async () => undefined }, pino({ level: 'info' }, logs));
    expect(await failing.gained()).toBe(false);
    expect(failing.isLeader).toBe(false);
    failing.close();

    const working = new LeadershipStatus('lifecycle-scheduler', { lead: async () => undefined, stepDown: async () => undefined }, pino({ level: 'info' }, logs));
    expect(await working.gained()).toBe(true);
    expect(await metricsRegistry.getSingleMetricAsString('keywarden_leader')).toMatch(/keywarden_leader\{role="lifecycle-scheduler"\} 1/);
    await working.lost('resigned');
    expect(await metricsRegistry.getSingleMetricAsString('keywarden_leader')).toMatch(/keywarden_leader\{role="lifecycle-scheduler"\} 0/);
    working.close();

    const messages = logs.parsed().map((l) => `${String(l.role)}: ${String(l.msg)}`);
    expect(messages).toEqual([
      'settings-relay: leadership gained',
      'settings-relay: could not take up the role; giving it back',
      'lifecycle-scheduler: leadership gained',
      'lifecycle-scheduler: leadership lost',
    ]);
  });
});
