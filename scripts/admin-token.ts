import { runAdminTokenCli } from '@keywarden/auth';
import { loadConfig } from '@keywarden/config';

/** `npm run admin-token -- --org <id> --email <address> [--role admin|operator]` (API.md). */
async function main(): Promise<number> {
  const config = loadConfig();
  if (config.auth.mode !== 'development') {
    process.stderr.write('admin-token: the development issuer is off because AUTH_JWKS_URL is set; get an admin token from your identity provider\n');
    return 1;
  }
  return runAdminTokenCli(process.argv.slice(2), {
    dataDir: config.dataDir,
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  });
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`admin-token: ${error instanceof Error ? error.message : 'failed'}\n`);
    process.exitCode = 1;
  },
);
