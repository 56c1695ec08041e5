// Small process helpers shared by the infrastructure scripts (plain Node ESM: they run before any build).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';

/** A free loopback port. Another process could take it before we bind, which is rare enough on a test machine. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export function isAlive(pid) {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** SIGTERM, wait up to `timeoutMs` for a clean exit, then SIGKILL. Resolves once the process is gone. */
export async function stopProcess(pid, { timeoutMs = 15_000 } = {}) {
  if (!isAlive(pid)) return 'not-running';
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return 'not-running';
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return 'stopped';
    await sleep(50);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* exited in between */
  }
  while (isAlive(pid)) await sleep(20);
  return 'killed';
}

/** Fails with ONE line naming the package to install when a required command is missing. */
export function requireCommand(command, installHint) {
  const probe = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' });
  if (probe.status !== 0) throw new InfraError(`${command} not found: install it with \`${installHint}\``);
}

/** An error whose message is meant to be printed alone, without a stack trace. */
export class InfraError extends Error {}

export function tailFile(file, lines = 30) {
  if (!existsSync(file)) return '(no log file)';
  const all = readFileSync(file, 'utf8').trimEnd().split('\n');
  return all.slice(-lines).join('\n');
}

/** Polls `probe` (which resolves truthy when ready) until `timeoutMs`; `abort()` returning a string fails early. */
export async function pollUntil(probe, { timeoutMs, intervalMs = 100, abort = () => undefined }) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    const reason = abort();
    if (reason) throw new InfraError(reason);
    try {
      if (await probe()) return;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() >= deadline) {
      throw new InfraError(`not ready after ${timeoutMs} ms${lastError ? ` (last error: ${lastError.message})` : ''}`);
    }
    await sleep(intervalMs);
  }
}
