import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { EmbeddedHarness } from '../../../test/support/embedded-harness';
import { readMailFiles } from '../../../test/support/eml-mailbox';
import { waitFor } from '../../../test/support/wait-for';
import { startKeyCacheProjection } from '../../key-cache-projection/src/key-cache-projection.service';
import { startKeyRegistry } from '../../key-registry/src/key-registry.service';
import { startNotifier } from '../../notifier/src/notifier.service';
import { startSettings } from '../../settings/src/settings.service';

/** Every entry under `dir` with its permission bits, e.g. `keys/pepper 600`. */
function modesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    const line = `${prefix}${entry.name}${entry.isDirectory() ? '/' : ''} ${(statSync(path).mode & 0o777).toString(8)}`;
    return entry.isDirectory() ? [line, ...modesUnder(path, `${prefix}${entry.name}/`)] : [line];
  });
}

// The data folder of npm start holds every organisation's history, the data keys, the local key
// material and the reveal codes' mails: nothing in it is for another user of the machine.
describe('the data folder (KEYWARDEN_DATA_DIR)', () => {
  const parent = mkdtempSync(join(tmpdir(), 'keywarden-modes-'));
  const dataDir = join(parent, 'data');
  let harness: EmbeddedHarness;

  beforeAll(async () => {
    harness = new EmbeddedHarness({ dataDir });
    await harness.start(startKeyCacheProjection, startSettings, startNotifier, startKeyRegistry);
  });

  afterAll(async () => {
    await harness.stop();
    rmSync(parent, { recursive: true, force: true });
  });

  it('is created 0700 with every folder 0700 and every file 0600, events.sqlite and its -wal/-shm included', async () => {
    const token = await harness.token('org-modes');
    const registry = request(harness.url('key-registry'));
    const auth = { Authorization: `Bearer ${token}` };
    const { body } = await registry.post('/v1/orgs/org-modes/keys').set(auth).send({}).expect(201);
    await registry.post(`/v1/orgs/org-modes/keys/${body.key.keyId}/reveal-requests`).set(auth).expect(202);
    await waitFor(async () => (await readMailFiles(dataDir)).some((m) => /code/i.test(m.subject)), { description: 'the reveal code mail written' });

    const modes = modesUnder(dataDir);
    // What the test must have seen for its assertion to mean anything.
    expect(modes).toEqual(expect.arrayContaining(['events.sqlite 600', 'events.sqlite-wal 600', 'events.sqlite-shm 600', 'keys/ 700', 'mail/ 700']));
    expect(modes.some((m) => /^mail\/.+\.eml 600$/.test(m))).toBe(true);
    expect(modes.some((m) => /^keys\/data-keys\.sqlite 600$/.test(m) || /^data-keys\.sqlite 600$/.test(m))).toBe(true);
    expect((statSync(dataDir).mode & 0o777).toString(8)).toBe('700');
    expect(modes.filter((m) => !/\/ 700$/.test(m) && !/[^/] 600$/.test(m))).toEqual([]);
  });
});
