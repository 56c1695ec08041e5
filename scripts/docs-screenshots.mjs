// `npm run docs:screenshots`: runs the console's browser test with its screenshots going to
// docs/screenshots/ (the pictures the README shows). `npm test` writes them to the ignored
// test-output/screenshots/ instead, so a test run leaves the checkout clean.
import { spawnSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const jest = join(root, 'node_modules', 'jest', 'bin', 'jest.js');
// The path goes before --selectProjects, which takes every word after it as a project name.
const result = spawnSync(process.execPath, [jest, '--config', 'jest.config.js', 'test/e2e/console.e2e-spec.ts', '--selectProjects', 'e2e'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, KEYWARDEN_SCREENSHOTS_DIR: join(root, 'docs', 'screenshots') },
});
process.exit(result.status ?? 1);
