import { ORG_ID_PATTERN } from '@keywarden/contracts';
import { isEmail } from 'class-validator';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ADMIN_ROLES, AdminRole } from './admin-principal';
import { DEV_ISSUER_KEY_FILE, DevelopmentIssuer } from './development-issuer';

export const ADMIN_TOKEN_USAGE = 'usage: admin-token --org <id> --email <address> [--role admin|operator]\n';

export type AdminTokenCliOptions = Readonly<{
  dataDir: string;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}>;

/** `npm run admin-token`: prints a development admin token and nothing else on stdout. Returns the exit code. */
export async function runAdminTokenCli(argv: string[], options: AdminTokenCliOptions): Promise<number> {
  const fail = (problem: string): number => {
    options.stderr(`admin-token: ${problem}\n${ADMIN_TOKEN_USAGE}`);
    return 1;
  };
  let values: { org?: string; email?: string; role?: string };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { org: { type: 'string' }, email: { type: 'string' }, role: { type: 'string', default: 'admin' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    return fail((error as Error).message);
  }
  const { org, email, role } = values;
  if (!org) return fail('--org is required');
  if (!ORG_ID_PATTERN.test(org)) return fail('--org must match ^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$');
  if (!email) return fail('--email is required');
  if (!isEmail(email, { require_tld: false })) return fail('--email must be an email address');
  if (!ADMIN_ROLES.includes(role as AdminRole)) return fail(`--role must be one of ${ADMIN_ROLES.join(', ')}`);

  // Only the services started on this data folder share its issuer key: say which folder signed,
  // so a token refused with unknown-key points at a KEYWARDEN_DATA_DIR mismatch.
  const started = existsSync(join(options.dataDir, 'keys', DEV_ISSUER_KEY_FILE));
  const issuer = DevelopmentIssuer.open(options.dataDir);
  options.stdout(`${await issuer.issue({ orgId: org, email, role: role as AdminRole })}\n`);
  options.stderr(`admin-token: signed by the development issuer of the data folder ${options.dataDir} (KEYWARDEN_DATA_DIR); only services running with this data folder accept it\n`);
  if (!started) {
    options.stderr(
      `admin-token: warning: no Keywarden service has started with ${options.dataDir} yet (it had no development issuer key): ` +
        'a service running with another data folder refuses this token (unknown-key). Run admin-token with the KEYWARDEN_DATA_DIR of your npm start; npm start prints the exact command\n',
    );
  }
  return 0;
}

const DEFAULT_DATA_DIR = './data';

/** A shell word: quoted unless it is plainly safe. */
const shellWord = (value: string): string => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`);

/**
 * The exact admin-token command for services running on `dataDir` (what `npm start` prints): with
 * KEYWARDEN_DATA_DIR when the folder is not the default one, so the token is signed by their issuer.
 */
export function adminTokenCommand(dataDir: string, orgId = 'acme', email = `admin@${orgId}.test`, cwd: string = process.cwd()): string {
  const command = `npm run admin-token -- --org ${shellWord(orgId)} --email ${shellWord(email)}`;
  return resolve(cwd, DEFAULT_DATA_DIR) === resolve(cwd, dataDir) ? command : `KEYWARDEN_DATA_DIR=${shellWord(dataDir)} ${command}`;
}
