import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../../../../test/support/wait-for';
import { freePort } from '../../../../test/support/service-process';

const HOW_TO_INSTALL = 'install it with `apt-get update && apt-get install -y nginx-light` (as root), then run the tests again';

/** Debian's nginx, or null. */
export function findNginx(): string | null {
  for (const candidate of ['/usr/sbin/nginx', '/usr/bin/nginx', '/usr/local/sbin/nginx']) if (existsSync(candidate)) return candidate;
  const which = spawnSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' });
  return which.status === 0 && which.stdout.trim() ? which.stdout.trim() : null;
}

/**
 * Finds nginx, installing Debian's package with apt-get when it is missing (nginx-light, else
 * nginx; `apt-get update` first if the package is unknown). Throws a message that says how to
 * install it when that is impossible, e.g. without root.
 */
export function ensureNginx(): string {
  const found = findNginx();
  if (found) return found;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = (pkg: string) => spawnSync('apt-get', ['install', '-y', '--no-install-recommends', pkg], { env, stdio: 'ignore', timeout: 300_000 }).status === 0;
  const canInstall = process.getuid?.() === 0 && spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
  if (canInstall) {
    let ok = install('nginx-light') || install('nginx');
    if (!ok && spawnSync('apt-get', ['update'], { env, stdio: 'ignore', timeout: 300_000 }).status === 0) ok = install('nginx-light') || install('nginx');
  }
  const installed = findNginx();
  if (!installed) throw new Error(`this test runs Debian's nginx, which is not installed and could not be installed here: ${HOW_TO_INSTALL}`);
  return installed;
}

/** nginx in the foreground with a configuration of the test's own, under a temporary prefix. */
export class TestNginx {
  private child?: ChildProcess;
  private readonly dir = mkdtempSync(join(tmpdir(), 'keywarden-nginx-'));
  port = 0;

  constructor(private readonly binary: string) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** `serverBlock` gets `listen` added; the http block around it keeps every path inside the prefix. */
  async start(serverBlock: string): Promise<void> {
    this.port = await freePort();
    for (const d of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(this.dir, d), { recursive: true });
    const conf = [
      // As root nginx would otherwise hand requests to "nobody", who cannot use this private prefix.
      ...(process.getuid?.() === 0 ? ['user root;'] : []),
      'daemon off;',
      'master_process off;',
      'worker_processes 1;',
      `pid ${join(this.dir, 'nginx.pid')};`,
      `error_log ${join(this.dir, 'error.log')} warn;`,
      'events { worker_connections 256; }',
      'http {',
      '  access_log off;',
      ...['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((d) => `  ${d === 'body' ? 'client_body' : d}_temp_path ${join(this.dir, d)};`),
      '  server {',
      `    listen 127.0.0.1:${this.port};`,
      serverBlock,
      '  }',
      '}',
    ].join('\n');
    const confFile = join(this.dir, 'nginx.conf');
    writeFileSync(confFile, conf);
    const check = spawnSync(this.binary, ['-t', '-p', this.dir, '-c', confFile], { encoding: 'utf8' });
    if (check.status !== 0) throw new Error(`nginx refused the test configuration:\n${check.stderr}`);
    this.child = spawn(this.binary, ['-p', this.dir, '-c', confFile], { stdio: 'ignore' });
    await waitFor(
      () =>
        new Promise<boolean>((resolve) => {
          const socket = net.connect(this.port, '127.0.0.1', () => {
            socket.destroy();
            resolve(true);
          });
          socket.on('error', () => resolve(false));
        }),
      { description: `nginx listening on ${this.port}`, timeoutMs: 15_000 },
    );
  }

  errorLog(): string {
    const file = join(this.dir, 'error.log');
    return existsSync(file) ? readFileSync(file, 'utf8') : '';
  }

  /** Stops the nginx this test started, by its pid. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGQUIT');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
