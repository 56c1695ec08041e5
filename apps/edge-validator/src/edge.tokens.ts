/** Injection tokens of the edge's ports that have no library-wide token. */
export const EDGE_LOGGER = Symbol('EDGE_LOGGER');
export const SECRET_VERIFIER = Symbol('EDGE_SECRET_VERIFIER');
export const KEY_FINGERPRINTER = Symbol('EDGE_KEY_FINGERPRINTER');
/** What /_keywarden/health/ready checks besides the key cache: the process's connections. */
export const EDGE_READINESS = Symbol('EDGE_READINESS');
