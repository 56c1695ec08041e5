import { ManualClock } from '@keywarden/clock';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdminTokenVerifier } from './admin-token-verifier';
import { runAdminTokenCli } from './admin-token.cli';
import { DevelopmentIssuer } from './development-issuer';

const dataDir = mkdtempSync(join(tmpdir(), 'kw-admin-cli-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runAdminTokenCli(argv, { dataDir, stdout: (t) => out.push(t), stderr: (t) => err.push(t) });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('admin-token CLI', () => {
  it('prints only a token that the development verifier accepts', async () => {
    const { code, stdout, stderr } = await run(['--org', 'org-a', '--email', 'ada@example.com', '--role', 'operator']);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\n$/);
    const verifier = new AdminTokenVerifier(DevelopmentIssuer.open(dataDir).verifierOptions());
    expect(await verifier.verify(stdout.trim())).toMatchObject({ orgId: 'org-a', email: 'ada@example.com', roles: ['operator'] });
  });

  it('defaults to the admin role', async () => {
    const { stdout } = await run(['--org', 'org-a', '--email', 'ada@example.com']);
    const verifier = new AdminTokenVerifier(DevelopmentIssuer.open(dataDir, new ManualClock(new Date())).verifierOptions());
    expect((await verifier.verify(stdout.trim())).roles).toEqual(['admin']);
  });

  it.each([
    [[]],
    [['--email', 'ada@example.com']],
    [['--org', 'org-a']],
    [['--org', '-bad', '--email', 'ada@example.com']],
    [['--org', 'org a', '--email', 'ada@example.com']],
    [['--org', 'org-a', '--email', 'not-an-email']],
    [['--org', 'org-a', '--email', 'ada@example.com', '--role', 'root']],
    [['--org', 'org-a', '--email', 'ada@example.com', '--unknown']],
    [['org-a']],
  ])('exits 1 with usage on stderr and nothing on stdout for %j', async (argv) => {
    const { code, stdout, stderr } = await run(argv as string[]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain('usage: admin-token --org <id> --email <address>');
  });
});
