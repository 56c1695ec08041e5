// The Jest global setup and teardown drive the same scripts as `npm run infra:up` / `infra:down`
// (scripts/infra/*.mjs), as child processes: one implementation, and plain ESM needs no transpiling.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');

/** The infrastructure of this Jest process, under .tmp/infra/<name>/; the pid keeps concurrent runs apart. */
export const jestInfraName = (pid: number = process.pid): string => `jest-${pid}`;

export type InfraAddresses = { KAFKA_BROKERS?: string; REDIS_URL?: string; DATABASE_URL?: string };

export function infraUp(options: { name: string; kafka: boolean; redis: boolean; postgres: boolean; ownerPid: number }): InfraAddresses {
  const args = ['scripts/infra/up.mjs', '--name', options.name, '--owner-pid', String(options.ownerPid)];
  if (!options.kafka) args.push('--no-kafka');
  if (!options.redis) args.push('--no-redis');
  if (!options.postgres) args.push('--no-postgres');
  // stderr (progress, and the one-line "install java" message) goes straight to the terminal.
  const run = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (run.status !== 0) throw new Error(`scripts/infra/up.mjs failed (exit ${run.status}): see the [infra] lines above`);
  const addresses: InfraAddresses = {};
  for (const line of run.stdout.trim().split('\n')) {
    const match = /^(KAFKA_BROKERS|REDIS_URL|DATABASE_URL)=(.+)$/.exec(line.trim());
    if (match) addresses[match[1] as keyof InfraAddresses] = match[2];
  }
  return addresses;
}

export function infraDown(name: string): void {
  const run = spawnSync(process.execPath, ['scripts/infra/down.mjs', '--name', name], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (run.status !== 0) throw new Error(`scripts/infra/down.mjs failed (exit ${run.status})`);
}
