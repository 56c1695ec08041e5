// A private redis-server on a free loopback port: tests never touch the machine's shared Redis on 6379.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { InfraError, freePort, isAlive, pollUntil, requireCommand, stopProcess, tailFile } from './process-utils.mjs';

/** PING over a raw socket: enough for a server we started ourselves (no auth, no TLS). */
export function redisAnswers(port, host = '127.0.0.1', timeoutMs = 1000) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

/** @returns {Promise<{pid: number, url: string, runDir: string}>} */
export async function startRedis({ runDir, readyTimeoutMs = 15_000 }) {
  requireCommand('redis-server', 'apt-get install -y redis-server');
  mkdirSync(runDir, { recursive: true });
  const port = await freePort();
  const logFile = path.join(runDir, 'redis.log');
  const out = openSync(logFile, 'a');
  // Nothing on disk (--save '' --appendonly no), in the foreground (daemonize no) so the pid is the server's own.
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--dir', runDir],
    { detached: true, stdio: ['ignore', out, out], cwd: runDir },
  );
  closeSync(out);
  child.unref();
  try {
    await pollUntil(() => redisAnswers(port), {
      timeoutMs: readyTimeoutMs,
      intervalMs: 50,
      abort: () => (isAlive(child.pid) ? undefined : 'redis-server exited during start-up'),
    });
  } catch (e) {
    await stopProcess(child.pid, { timeoutMs: 3_000 });
    throw new InfraError(`redis-server did not start (${e.message}); last lines of ${logFile}:\n${tailFile(logFile)}`);
  }
  return { pid: child.pid, url: `redis://127.0.0.1:${port}`, runDir };
}

export async function stopRedis({ pid, runDir }, { timeoutMs = 10_000 } = {}) {
  const result = await stopProcess(pid, { timeoutMs });
  if (runDir) rmSync(runDir, { recursive: true, force: true });
  return result;
}
