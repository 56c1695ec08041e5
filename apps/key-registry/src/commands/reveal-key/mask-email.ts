/** `admin@acme.test` → `a***n@acme.test`: enough for the admin to recognise the address, little for anyone else. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 1) return '***';
  const local = email.slice(0, at);
  const masked = local.length > 3 ? `${local[0]}***${local[local.length - 1]}` : `${local[0]}***`;
  return `${masked}${email.slice(at)}`;
}
