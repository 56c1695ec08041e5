// node scripts/infra/watchdog.mjs <name> <ownerPid>
// Started detached by `up({ ownerPid })`: when the owner process is gone and its infrastructure is still
// recorded, stops it, so an interrupted test run leaves no broker or redis-server behind.
import { existsSync } from 'node:fs';
import { down, stateFileOf } from './infra.mjs';
import { isAlive, sleep } from './process-utils.mjs';

const [name, owner] = process.argv.slice(2);
const ownerPid = Number(owner);
const stateFile = stateFileOf(name);

while (existsSync(stateFile)) {
  if (!isAlive(ownerPid)) {
    await down({ name });
    break;
  }
  await sleep(500);
}
