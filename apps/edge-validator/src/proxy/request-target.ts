/**
 * The request-target the edge accepts (RFC 9112 §3.2): origin-form only, so the path the upstream
 * gets is always the edge's base path followed by the caller's path, and never one that an
 * upstream resolving dot-segments (RFC 3986 §5.2.4) or backslashes would take out of the base path.
 */

export type RequestTargetCode = 'ABSOLUTE_FORM_TARGET' | 'ASTERISK_FORM_TARGET' | 'DOT_SEGMENT' | 'MALFORMED_URL';

export type RequestTargetProblem = Readonly<{ code: RequestTargetCode; message: string }>;

const problem = (code: RequestTargetCode, message: string): RequestTargetProblem => ({ code, message });

const ASTERISK = problem('ASTERISK_FORM_TARGET', 'the request-target "*" (asterisk-form) is not accepted by the gateway; send a path starting with /');
const ABSOLUTE = problem('ABSOLUTE_FORM_TARGET', 'the gateway takes the request-target in origin-form only (a path starting with /), not a full URL or an authority');
const DOT = problem('DOT_SEGMENT', 'the path contains a "." or ".." segment (plain, percent-encoded or with backslashes); send the resolved path');
const MALFORMED = problem('MALFORMED_URL', 'the URL contains a malformed percent-encoding (% must be followed by two hex digits forming valid UTF-8)');
const NOT_ORIGIN_FORM = problem('MALFORMED_URL', 'the request-target must be a path starting with /');

/** A scheme followed by ":" (absolute-form), or host:port (authority-form, CONNECT's). */
const SCHEME_OR_AUTHORITY = /^[A-Za-z][A-Za-z0-9+.-]*:/;
/** What could hide a dot-segment or a bad escape; a target without any (the common case) needs no more checks. */
const SUSPECT = /[%\\]|\/\./;
const SEGMENT_SEPARATOR = /[/\\]/;

/** Percent-decodes, or undefined when an escape is malformed or not UTF-8 (decodeURIComponent's URIError). */
function decoded(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/** "." or ".." between separators, a backslash counting as one (as some servers and frameworks take it). */
const hasDotSegment = (path: string): boolean => path.split(SEGMENT_SEPARATOR).some((segment) => segment === '.' || segment === '..');

/**
 * Null for a target the edge may forward; else why not, with the stable details.code. Checks the
 * path raw, decoded once and decoded twice (an upstream or framework that decodes again must not
 * find a dot-segment either), and the whole target for malformed escapes.
 */
export function requestTargetProblem(target: string): RequestTargetProblem | null {
  if (target.charCodeAt(0) === 0x2f && !SUSPECT.test(target)) return null;
  if (target === '*') return ASTERISK;
  if (!target.startsWith('/')) return SCHEME_OR_AUTHORITY.test(target) ? ABSOLUTE : NOT_ORIGIN_FORM;
  const q = target.indexOf('?');
  const path = q < 0 ? target : target.slice(0, q);
  if (q >= 0 && decoded(target.slice(q + 1).replace(/\+/g, ' ')) === undefined) return MALFORMED;
  const once = decoded(path);
  if (once === undefined) return MALFORMED;
  if (hasDotSegment(path) || hasDotSegment(once)) return DOT;
  if (once.includes('%')) {
    const twice = decoded(once);
    if (twice !== undefined && hasDotSegment(twice)) return DOT;
  }
  return null;
}
