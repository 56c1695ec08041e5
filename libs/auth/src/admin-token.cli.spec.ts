import { ManualClock } from '@keywarden/clock';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdminTokenVerifier } from './admin-token-verifier';
import { adminTokenCommand, runAdminTokenCli } from './admin-token.cli';
import { DevelopmentIssuer } from './development-issuer';

const dataDir = mkdtempSync(join(tmpdir(), 'kw-admin-cli-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function run(argv: string[], dir = dataDir) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runAdminTokenCli(argv, { dataDir: dir, stdout: (t) => out.push(t), stderr: (t) => err.push(t) });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('admin-token CLI', () => {
  it('prints only a token that the development verifier accepts', async () => {
    const { code, stdout, stderr } = await run(['--org', 'org-a', '--email', 'ada@example.com', '--role', 'operator']);
    expect(code).toBe(0);
    expect(stderr).toContain(`admin-token: signed by the development issuer of the data folder ${dataDir} (KEYWARDEN_DATA_DIR)`);
    expect(stdout).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\n$/);
    const verifier = new AdminTokenVerifier(DevelopmentIssuer.open(dataDir).verifierOptions());
    expect(await verifier.verify(stdout.trim())).toMatchObject({ orgId: 'org-a', email: 'ada@example.com', roles: ['operator'] });
  });

  it('defaults to the admin role', async () => {
    const { stdout } = await run(['--org', 'org-a', '--email', 'ada@example.com']);
    const verifier = new AdminTokenVerifier(DevelopmentIssuer.open(dataDir, new ManualClock(new Date())).verifierOptions());
    expect((await verifier.verify(stdout.trim())).roles).toEqual(['admin']);
  });

  it('says on stderr which data folder signed, and warns when no service has started with it', async () => {
    const fresh = mkdtempSync(join(tmpdir(), 'kw-admin-cli-fresh-'));
    try {
      const first = await run(['--org', 'org-a', '--email', 'ada@example.com'], fresh);
      expect(first.code).toBe(0);
      expect(first.stdout).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\n$/);
      expect(first.stderr).toContain(`signed by the development issuer of the data folder ${fresh} (KEYWARDEN_DATA_DIR)`);
      expect(first.stderr).toContain(`warning: no Keywarden service has started with ${fresh} yet`);
      expect(first.stderr).toContain('unknown-key');

      // A service started there (its admin guard opens the same issuer): no warning any more.
      DevelopmentIssuer.open(fresh);
      const second = await run(['--org', 'org-a', '--email', 'ada@example.com'], fresh);
      expect(second.stderr).toContain(`of the data folder ${fresh}`);
      expect(second.stderr).not.toContain('warning');
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
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

describe('adminTokenCommand (what npm start prints)', () => {
  it('is the plain command on the default data folder', () => {
    expect(adminTokenCommand('/repo/data', 'acme', 'admin@acme.test', '/repo')).toBe('npm run admin-token -- --org acme --email admin@acme.test');
  });

  it('names the data folder when it is another one, quoted for the shell when it needs to be', () => {
    expect(adminTokenCommand('/tmp/kw-demo', 'acme', 'admin@acme.test', '/repo')).toBe('KEYWARDEN_DATA_DIR=/tmp/kw-demo npm run admin-token -- --org acme --email admin@acme.test');
    expect(adminTokenCommand("/tmp/my data/it's", 'acme', 'admin@acme.test', '/repo')).toBe(`KEYWARDEN_DATA_DIR='/tmp/my data/it'\\''s' npm run admin-token -- --org acme --email admin@acme.test`);
  });
});
