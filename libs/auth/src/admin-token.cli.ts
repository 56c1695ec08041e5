import { ORG_ID_PATTERN } from '@keywarden/contracts';
import { isEmail } from 'class-validator';
import { parseArgs } from 'node:util';
import { ADMIN_ROLES, AdminRole } from './admin-principal';
import { DevelopmentIssuer } from './development-issuer';

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

  const issuer = DevelopmentIssuer.open(options.dataDir);
  options.stdout(`${await issuer.issue({ orgId: org, email, role: role as AdminRole })}\n`);
  return 0;
}
