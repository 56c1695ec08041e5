// `node scripts/run.mjs <compiled entry relative to dist/> [args…]`: builds if needed, then runs
// the entry in this process's place, passing arguments, stdio and the exit code through.
import { spawn } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBuild } from './ensure-build.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  process.stderr.write('usage: node scripts/run.mjs <entry under dist/> [args…]\n');
  process.exit(2);
}
ensureBuild();
const child = spawn(process.execPath, ['--enable-source-maps', join(root, 'dist', entry), ...args], { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
