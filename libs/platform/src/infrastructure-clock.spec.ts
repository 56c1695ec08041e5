import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScaledClock, SystemClock } from '@keywarden/clock';
import { loadConfig } from '@keywarden/config';
import { Infrastructure } from './infrastructure';

describe('the clock every service of a process gets', () => {
  let dataDir: string;
  beforeEach(() => (dataDir = mkdtempSync(join(tmpdir(), 'kw-infra-clock-'))));
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('is the system clock by default, and the fast development clock with KEYWARDEN_DEV_CLOCK_SPEED', async () => {
    const plain = new Infrastructure(loadConfig({ KEYWARDEN_DATA_DIR: dataDir }), 'test');
    expect(plain.clock).toBeInstanceOf(SystemClock);
    const fast = new Infrastructure(loadConfig({ KEYWARDEN_DATA_DIR: dataDir, KEYWARDEN_DEV_CLOCK_SPEED: '1440' }), 'test');
    expect(fast.clock).toBeInstanceOf(ScaledClock);
    expect((fast.clock as ScaledClock).anchor.speed).toBe(1440);
    await Promise.all([plain.close(), fast.close()]);
  });

  it('refuses a data folder that ran fast once the variable is unset, naming it', () => {
    new Infrastructure(loadConfig({ KEYWARDEN_DATA_DIR: dataDir, KEYWARDEN_DEV_CLOCK_SPEED: '1440' }), 'test');
    expect(() => new Infrastructure(loadConfig({ KEYWARDEN_DATA_DIR: dataDir }), 'test')).toThrow(/^configuration variable KEYWARDEN_DEV_CLOCK_SPEED is not set, but the data folder/);
  });
});
