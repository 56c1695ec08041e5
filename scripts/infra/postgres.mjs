// A private PostgreSQL server on a free loopback port, from the Debian binaries (initdb + pg_ctl):
// tests never touch a server the machine may already run on 5432, and a fresh machine needs none.
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { InfraError, freePort, isAlive, pollUntil, sleep, tailFile } from './process-utils.mjs';

const INSTALL_HINT = 'apt-get install -y postgresql';
// The superuser of the private server; trust authentication on loopback only.
const SUPERUSER = 'keywarden';

/** The folder of initdb and pg_ctl: PG_BIN_DIR, else the newest /usr/lib/postgresql/<n>/bin, else pg_config's. */
export function postgresBinDir() {
  const fromEnv = process.env.PG_BIN_DIR?.trim();
  if (fromEnv) return fromEnv;
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => /^\d+$/.test(v) && existsSync(path.join(root, v, 'bin/initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions.length > 0) return path.join(root, versions[0], 'bin');
  }
  const probe = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  const dir = probe.status === 0 ? probe.stdout.trim() : '';
  if (dir && existsSync(path.join(dir, 'initdb'))) return dir;
  throw new InfraError(`initdb not found (looked in PG_BIN_DIR, ${root}/<version>/bin, pg_config --bindir): install it with \`${INSTALL_HINT}\``);
}

/**
 * initdb refuses to run as root: as root, the server's files belong to the `postgres` account the
 * Debian package creates, and its commands run as that account through runuser.
 */
function serverAccount() {
  if (process.getuid?.() !== 0) return undefined;
  const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (uid.status !== 0) throw new InfraError(`running as root needs the postgres account to own the server's files: install it with \`${INSTALL_HINT}\``);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

function runAs(account, command, args) {
  const [file, argv] = account ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
  return spawnSync(file, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A TCP connect plus a startup packet's answer would need a client; the port accepting is enough with pg_ctl -w done. */
function portAccepts(port, host = '127.0.0.1', timeoutMs = 1000) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => done(true));
  });
}

export const postgresAnswers = (url) => portAccepts(Number(new URL(url).port));

/** The postmaster's pid, from the first line of postmaster.pid. */
function postmasterPid(dataDir) {
  const file = path.join(dataDir, 'postmaster.pid');
  return existsSync(file) ? Number(readFileSync(file, 'utf8').split('\n')[0]) : undefined;
}

/**
 * initdb into `runDir/data` and start the server with pg_ctl on a free loopback port; tuned for
 * tests (no fsync: a crashed test server is thrown away, never recovered).
 * @returns {Promise<{pid: number, url: string, runDir: string, logFile: string, startupMs: number}>}
 */
export async function startPostgres({ runDir, readyTimeoutMs = 30_000 }) {
  const started = Date.now();
  const bin = postgresBinDir();
  const account = serverAccount();
  mkdirSync(runDir, { recursive: true });
  if (account) chownSync(runDir, account.uid, account.gid);
  const dataDir = path.join(runDir, 'data');
  const logFile = path.join(runDir, 'postgres.log');

  const init = runAs(account, path.join(bin, 'initdb'), ['-D', dataDir, '-U', SUPERUSER, '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
  if (init.status !== 0) throw new InfraError(`initdb failed:\n${`${init.stdout}\n${init.stderr}`.trim().split('\n').slice(-15).join('\n')}`);

  const port = await freePort();
  const settings = [
    `-p ${port}`,
    '-c listen_addresses=127.0.0.1',
    `-c unix_socket_directories=${runDir}`,
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    '-c shared_buffers=32MB',
    '-c max_connections=200',
  ].join(' ');
  const start = runAs(account, path.join(bin, 'pg_ctl'), ['start', '-D', dataDir, '-l', logFile, '-w', '-t', String(Math.ceil(readyTimeoutMs / 1000)), '-o', settings]);
  const pid = postmasterPid(dataDir);
  if (start.status !== 0 || !pid) {
    if (pid) await stopPostgres({ pid, runDir });
    throw new InfraError(`pg_ctl start failed:\n${start.stdout}${start.stderr}\nlast lines of ${logFile}:\n${tailFile(logFile)}`);
  }
  const url = `postgres://${SUPERUSER}@127.0.0.1:${port}/postgres`;
  try {
    await pollUntil(() => postgresAnswers(url), { timeoutMs: readyTimeoutMs, intervalMs: 50, abort: () => (isAlive(pid) ? undefined : 'postgres exited during start-up') });
  } catch (e) {
    await stopPostgres({ pid, runDir });
    throw new InfraError(`PostgreSQL did not start (${e.message}); last lines of ${logFile}:\n${tailFile(logFile)}`);
  }
  return { pid, url, runDir, logFile, startupMs: Date.now() - started };
}

/** A fast shutdown (SIGINT: clients are disconnected, not waited for), SIGKILL after the timeout; removes the folder. */
export async function stopPostgres({ pid, runDir }, { timeoutMs = 10_000 } = {}) {
  let result = 'not-running';
  if (isAlive(pid)) {
    result = 'stopped';
    try {
      process.kill(pid, 'SIGINT');
    } catch {
      /* exited in between */
    }
    const deadline = Date.now() + timeoutMs;
    while (isAlive(pid) && Date.now() < deadline) await sleep(50);
    if (isAlive(pid)) {
      result = 'killed';
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* exited in between */
      }
      while (isAlive(pid)) await sleep(20);
    }
  }
  if (runDir) rmSync(runDir, { recursive: true, force: true });
  return result;
}
