/**
 * The token formats registered with secret scanners (docs/secret-scanning.md): each is what a
 * platform submits to GitHub, so the spec checks them against real keys and Secrets.
 */
export const TOKEN_PATTERNS = {
  /** A bare API key: `kw_`, 43 base62 characters of randomness, 6 base62 characters of its CRC-32. */
  keywarden_api_key: /(?<![0-9A-Za-z_])kw_[0-9A-Za-z]{49}(?![0-9A-Za-z])/,
  /**
   * A Secret: a compact JWS whose header starts `{"alg":"EdDSA","kid":"` and whose payload starts
   * `{"client_secret":"kw_` (both fixed, so Base64url-fixed prefixes), with a 64-byte Ed25519 signature.
   */
  keywarden_secret: /eyJhbGciOiJFZERTQSIsImtpZCI6I[A-Za-z0-9_-]*\.eyJjbGllbnRfc2VjcmV0Ijoia3df[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{86}(?![A-Za-z0-9_-])/,
} as const;
