export const ADMIN_ROLES = ['admin', 'operator'] as const;
export type AdminRole = (typeof ADMIN_ROLES)[number];

/** Who is calling an admin route, from a verified admin token. */
export type AdminPrincipal = Readonly<{
  sub: string;
  email: string | null;
  orgId: string | null;
  /** Only the roles Keywarden knows; empty means the token grants nothing here. */
  roles: AdminRole[];
  /** Platform staff: may act on any organisation and change operator-only settings. */
  isOperator: boolean;
}>;
