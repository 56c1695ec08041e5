import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import request from 'supertest';
import { EmbeddedHarness } from '../support/embedded-harness';
import { startKeyRegistry } from '../../apps/key-registry/src/key-registry.service';

const ROOT = join(__dirname, '..', '..');

type Run = Readonly<{ code: number; stdout: string; stderr: string }>;

/** `npm run audit` as an operator runs it: the compiled CLI, its own process, the store under KEYWARDEN_DATA_DIR. */
function audit(dataDir: string, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, 'dist', 'apps', 'key-registry', 'src', 'audit.cli.js'), ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', KEYWARDEN_DATA_DIR: dataDir } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

// The audit CLI over a scripted history: the timeline as a table and as JSON, the key table at an
// instant, the hash chain intact and then broken by an edit of the store, and bad arguments.
describe('npm run audit (the CLI, as a process)', () => {
  const org = 'org-audit-cli';
  const otherOrg = 'org-audit-cli-other';
  let harness: EmbeddedHarness;
  let firstKeyId = '';
  let secondKeyId = '';
  const issuedAt = '2026-02-01T09:00:00.000Z';
  const revokedAt = '2026-02-10T09:00:00.000Z';

  beforeAll(async () => {
    harness = new EmbeddedHarness({ start: issuedAt });
    await harness.start(startKeyRegistry);
    const registry = request(harness.url('key-registry'));
    const admin = { Authorization: `Bearer ${await harness.token(org)}`, 'X-Customer-Request-Id': 'cli-issue-1' };
    firstKeyId = (await registry.post(`/v1/orgs/${org}/keys`).set(admin).send({ validity: 'P90D' }).expect(201)).body.key.keyId;
    harness.clock.set(revokedAt);
    const revoked = await registry.post(`/v1/orgs/${org}/keys/${firstKeyId}/revoke`).set(admin).send({ grace: 'P7D' }).expect(200);
    secondKeyId = revoked.body.issued.keyId;
    const otherAdmin = { Authorization: `Bearer ${await harness.token(otherOrg)}` };
    await registry.post(`/v1/orgs/${otherOrg}/keys`).set(otherAdmin).send({ validity: 'P30D' }).expect(201);
    await harness.stop({ keepData: true });
  });

  afterAll(() => rmSync(harness.dataDir, { recursive: true, force: true }));

  it('prints the timeline as a table: who did what to which key, when, with the request id', async () => {
    const run = await audit(harness.dataDir, '--org', org);
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    const rows = lines.filter((l) => /^\d+\s/.test(l));
    expect(rows.map((r) => r.split(/\s{2,}/)[2])).toEqual(['KeyIssued', 'KeyIssued', 'KeyRevoked']);
    expect(rows[0]).toContain(firstKeyId);
    expect(rows[0]).toContain(`admin@${org}.test`);
    expect(rows[0]).toContain('cli-issue-1');
    expect(rows[0]).toContain('2026-02-01T09:00:00Z');
    expect(rows[2]).toContain('graceEndsAt=2026-02-17T09:00:00Z');
  });

  it('answers --json with the events and, with --at, the key table exactly as it stood then', async () => {
    const before = JSON.parse((await audit(harness.dataDir, '--org', org, '--json', '--at', '2026-02-05T00:00:00Z')).stdout);
    expect(before.events.map((e: { type: string }) => e.type)).toEqual(['KeyIssued', 'KeyIssued', 'KeyRevoked']);
    expect(before.stateAt).toEqual([expect.objectContaining({ keyId: firstKeyId, status: 'active', revokedAt: null })]);

    const after = JSON.parse((await audit(harness.dataDir, '--org', org, '--json', '--at', '2026-02-12T00:00:00Z')).stdout);
    expect(after.stateAt.map((k: { keyId: string; status: string }) => [k.keyId, k.status])).toEqual([
      [secondKeyId, 'active'],
      [firstKeyId, 'revoked'],
    ]);
  });

  it('answers --json for every organisation as JSON Lines: the events in store order, then each key table at the instant', async () => {
    const run = await audit(harness.dataDir, '--json', '--at', '2026-02-12T00:00:00Z');
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { orgId: string; type?: string; position?: number; at?: string; stateAt?: unknown[] });
    expect(lines.map((l) => [l.orgId, l.type ?? `stateAt: ${l.stateAt?.length}`])).toEqual([
      [org, 'KeyIssued'],
      [org, 'KeyIssued'],
      [org, 'KeyRevoked'],
      [otherOrg, 'KeyIssued'],
      [org, 'stateAt: 2'],
      [otherOrg, 'stateAt: 1'],
    ]);
    expect(lines[0]).toMatchObject({ keyId: firstKeyId, requestId: 'cli-issue-1', actor: { email: `admin@${org}.test` } });
    expect(lines[4]).toMatchObject({ at: '2026-02-12T00:00:00Z' });
  });

  it('prints every organisation as one timeline in store order, naming the organisation on each line', async () => {
    const run = await audit(harness.dataDir);
    expect(run.code).toBe(0);
    const rows = run.stdout.split('\n').filter((l) => /^\d+\s/.test(l));
    expect(rows.map((r) => r.split(/\s{2,}/).slice(2, 4))).toEqual([
      [org, 'KeyIssued'],
      [org, 'KeyIssued'],
      [org, 'KeyRevoked'],
      [otherOrg, 'KeyIssued'],
    ]);
    expect(rows[0]).toContain('cli-issue-1');
    expect(run.stderr).toContain('replayed 4 events of 2 organisations');
  });

  it('reports an intact chain, then the first break once an event is edited in the store (exit 1)', async () => {
    const intact = await audit(harness.dataDir, '--verify-chain', '--org', org);
    expect(intact).toMatchObject({ code: 0 });
    expect(intact.stdout).toMatch(/chain intact: 3 events in 1 key rings/);

    const db = new Database(join(harness.dataDir, 'events.sqlite'));
    const row = db.prepare("SELECT position, data FROM events WHERE stream_id = ? AND type = 'KeyRevoked'").get(`keyring-${org}`) as { position: number; data: string };
    const data = JSON.parse(row.data) as Record<string, unknown>;
    db.prepare('UPDATE events SET data = ? WHERE position = ?').run(JSON.stringify({ ...data, graceEndsAt: '2026-03-31T09:00:00.000Z' }), row.position);
    db.close();

    const broken = await audit(harness.dataDir, '--verify-chain', '--org', org);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain(`CHAIN BROKEN at position ${row.position} (stream keyring-${org}, revision 2)`);
  });

  it('refuses bad arguments with the usage and exit code 2', async () => {
    const run = await audit(harness.dataDir, '--org', 'not an org!');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--org: "not an org!" is not an organisation id/);
    expect(run.stderr).toContain('usage: npm run audit');
    expect((await audit(harness.dataDir, '--at', 'yesterday')).code).toBe(2);
    expect((await audit(harness.dataDir, '--repair')).stderr).toMatch(/--repair goes with --verify-cache/);
  });
});
