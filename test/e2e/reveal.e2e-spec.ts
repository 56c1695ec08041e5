import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { KeywardenApiError, KeywardenClient, RegistryPaths, registryClient } from '@keywarden/api-client';
import { DevelopmentIssuer } from '@keywarden/auth';
import { codeIn, waitForMailFile } from '../support/eml-mailbox';
import { ensureBuilt, freePort, ServiceProcess } from '../support/service-process';
import { ReceivedMail, SmtpTestServer } from '../support/smtp-test-server';
import { waitFor } from '../support/wait-for';

// Viewing a key as a new admin would, through HTTP only, against real processes: first the services
// as separate processes on Kafka, Redis and a real SMTP server; then the all-in-one (`npm start`) on
// its embedded adapters, where the code is in an .eml file under the data folder.

const header = (mail: ReceivedMail, name: string): string | undefined => {
  const value = mail.headers.get(name);
  return value === undefined ? undefined : String(value);
};
const clientSecretOf = (secret: string): string => JSON.parse(Buffer.from(secret.split('.')[1], 'base64url').toString('utf8')).client_secret;

describe('reveal a key with the code from the email, across processes (Kafka, Redis, SMTP)', () => {
  const namespace = `e2e-rvl-${randomUUID().slice(0, 8)}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'keywarden-e2e-reveal-'));
  const smtp = new SmtpTestServer();
  const org = 'acme';
  const email = 'new.admin@acme.test';
  let env: Record<string, string>;
  let registry: ServiceProcess;
  let notifier: ServiceProcess;
  /** The typed client generated from docs/openapi/registry.json, as an integrator would use it. */
  let client: KeywardenClient<RegistryPaths>;
  let token: string;
  const seen = new Set<string>();

  beforeAll(async () => {
    ensureBuilt();
    await smtp.start();
    const port = await freePort();
    env = {
      KAFKA_BROKERS: process.env.KAFKA_BROKERS!,
      REDIS_URL: process.env.REDIS_URL!,
      SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
      KEYWARDEN_DATA_DIR: dataDir,
      KEYWARDEN_NAMESPACE: namespace,
      REGISTRY_PORT: String(port),
      SETTINGS_PORT: String(await freePort()),
      LOG_LEVEL: 'info',
    };
    notifier = new ServiceProcess('notifier', env).start();
    await notifier.waitForLog(/notifier started/, 60_000);
    registry = new ServiceProcess('key-registry', env).start();
    await registry.waitForLog(/key-registry started/, 60_000);
    token = await new DevelopmentIssuer(dataDir).issue({ orgId: org, email, role: 'admin' });
    client = registryClient({ baseUrl: `http://127.0.0.1:${port}`, token: () => token });
  }, 180_000);

  afterAll(async () => {
    await registry?.stop();
    await notifier?.stop();
    await smtp.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  const codeFor = async (requestId: string): Promise<string> => {
    const mail = await smtp.waitFor((m) => header(m, 'x-keywarden-reveal-request-id') === requestId, 60_000);
    expect(mail.envelope.to).toEqual([email]);
    const code = codeIn(mail.text);
    seen.add(code);
    return code;
  };

  /** A refusal's status and stable code, from the client's error. */
  const refusal = async (call: Promise<unknown>): Promise<{ status: number; code?: string }> => {
    const error = await call.then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(KeywardenApiError);
    return { status: (error as KeywardenApiError).status, code: (error as KeywardenApiError).code };
  };

  it('asks for a code, reads it from the mail, and gets the Secret of the key; the code works once', async () => {
    const issued = await client.call('post', '/v1/orgs/{orgId}/keys', { path: { orgId: org }, body: {} });
    seen.add(issued.secret);
    seen.add(clientSecretOf(issued.secret));
    const path = { orgId: org, keyId: issued.key.keyId };
    const asked = await client.call('post', '/v1/orgs/{orgId}/keys/{keyId}/reveal-requests', { path });
    expect(asked.sentTo).toBe('n***n@acme.test');
    const code = await codeFor(asked.requestId);

    const wrongCode = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    expect(await refusal(client.call('post', '/v1/orgs/{orgId}/keys/{keyId}/reveal', { path, body: { requestId: asked.requestId, code: wrongCode } }))).toEqual({ status: 401, code: 'REVEAL_CODE_WRONG' });
    const revealed = await client.call('post', '/v1/orgs/{orgId}/keys/{keyId}/reveal', { path, body: { requestId: asked.requestId, code } });
    seen.add(revealed.secret);
    expect(clientSecretOf(revealed.secret)).toBe(clientSecretOf(issued.secret));
    expect(await refusal(client.call('post', '/v1/orgs/{orgId}/keys/{keyId}/reveal', { path, body: { requestId: asked.requestId, code } }))).toEqual({ status: 410, code: 'REVEAL_REQUEST_USED' });
  }, 120_000);

  it('delivers a code asked for while the notifier was down, once, after it was killed and restarted', async () => {
    const keyId = (await client.call('get', '/v1/orgs/{orgId}/keys', { path: { orgId: org } })).keys[0].keyId;
    const path = { orgId: org, keyId };
    await notifier.kill();
    const asked = await client.call('post', '/v1/orgs/{orgId}/keys/{keyId}/reveal-requests', { path });
    notifier = new ServiceProcess('notifier', env).start();
    const code = await codeFor(asked.requestId);
    const revealed = await client.call('post', '/v1/orgs/{orgId}/keys/{keyId}/reveal', { path, body: { requestId: asked.requestId, code } });
    seen.add(revealed.secret);
    // A later mail proves the restarted notifier moved past this one: it was not sent again.
    const later = await client.call('post', '/v1/orgs/{orgId}/keys/{keyId}/reveal-requests', { path });
    await codeFor(later.requestId);
    expect(smtp.messages.filter((m) => header(m, 'x-keywarden-reveal-request-id') === asked.requestId)).toHaveLength(1);
  }, 120_000);

  it('writes no code, key or Secret in any log line of either process', () => {
    const logs = [...registry.lines, ...notifier.lines].join('\n');
    expect(logs).toMatch(/reveal mail handed to the notifier/);
    expect(logs).toMatch(/mail sent/);
    for (const secret of seen) expect(logs).not.toMatch(new RegExp(`(?<![0-9A-Za-z_-])${secret.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![0-9A-Za-z_-])`));
  });
});

describe('reveal a key in the all-in-one on its embedded adapters (npm start): the code is in an .eml file', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'keywarden-e2e-embedded-'));
  let keywarden: ServiceProcess;
  let api: ReturnType<typeof request>;

  beforeAll(async () => {
    ensureBuilt();
    const port = await freePort();
    // Empty values switch the connected adapters off, whatever the test run's environment holds.
    keywarden = new ServiceProcess('keywarden', {
      KAFKA_BROKERS: '',
      REDIS_URL: '',
      SMTP_URL: '',
      EVENTSTORE_CONNECTION_STRING: '',
      EDGE_UPSTREAM_URL: '',
      KEYWARDEN_NAMESPACE: '',
      KEYWARDEN_DATA_DIR: dataDir,
      REGISTRY_PORT: String(port),
      SETTINGS_PORT: String(await freePort()),
      EDGE_PORT: String(await freePort()),
      LOG_LEVEL: 'info',
    }).start();
    await keywarden.waitForLog(/Keywarden is running/, 60_000);
    api = request(`http://127.0.0.1:${port}`);
  }, 120_000);

  afterAll(async () => {
    await keywarden?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('prints the admin-token command with its data folder; that token is accepted, one from another folder is refused with a warning', async () => {
    const printed = await keywarden.waitForLog(/Get an admin token:/);
    expect(printed.trim()).toBe(`Get an admin token:  KEYWARDEN_DATA_DIR=${dataDir} npm run admin-token -- --org acme --email admin@acme.test`);
    const adminToken = (dir: string) =>
      spawnSync(process.execPath, [join(__dirname, '..', '..', 'dist', 'scripts', 'admin-token.js'), '--org', 'acme', '--email', 'admin@acme.test'], {
        env: { ...process.env, KEYWARDEN_DATA_DIR: dir, AUTH_JWKS_URL: '', KAFKA_BROKERS: '' },
        encoding: 'utf8',
      });

    const same = adminToken(dataDir);
    expect(same.status).toBe(0);
    expect(same.stderr).toContain(`signed by the development issuer of the data folder ${dataDir}`);
    expect(same.stderr).not.toContain('warning');
    await api.get('/v1/orgs/acme/keys').set({ Authorization: `Bearer ${same.stdout.trim()}` }).expect(200);

    const elsewhere = mkdtempSync(join(tmpdir(), 'keywarden-e2e-other-data-'));
    try {
      const other = adminToken(elsewhere);
      expect(other.status).toBe(0);
      expect(other.stderr).toContain(`warning: no Keywarden service has started with ${elsewhere} yet`);
      await api.get('/v1/orgs/acme/keys').set({ Authorization: `Bearer ${other.stdout.trim()}` }).expect(401);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  }, 60_000);

  it('asks for a code, opens the mail file, and gets the Secret', async () => {
    const token = await new DevelopmentIssuer(dataDir).issue({ orgId: 'acme', email: 'admin@acme.test', role: 'admin' });
    const auth = { Authorization: `Bearer ${token}` };
    const issued = (await api.post('/v1/orgs/acme/keys').set(auth).send({}).expect(201)).body;
    const asked = (await api.post(`/v1/orgs/acme/keys/${issued.key.keyId}/reveal-requests`).set(auth).send().expect(202)).body;
    const mail = await waitForMailFile(dataDir, (m) => m.header('x-keywarden-reveal-request-id') === asked.requestId, 30_000);
    expect(mail.to).toEqual(['admin@acme.test']);
    const code = codeIn(mail.text);
    const revealed = (await api.post(`/v1/orgs/acme/keys/${issued.key.keyId}/reveal`).set(auth).send({ requestId: asked.requestId, code }).expect(200)).body;
    expect(clientSecretOf(revealed.secret)).toBe(clientSecretOf(issued.secret));
    // The log names the file, never the code.
    const logs = keywarden.lines.join('\n');
    await waitFor(() => keywarden.lines.some((l) => l.includes('mail written to file') && l.includes(mail.file)));
    expect(logs).not.toMatch(new RegExp(`(?<![0-9])${code}(?![0-9])`));
  }, 90_000);
});
