/**
 * Errors of the crypto library. Each has a stable `code`; no message ever carries a key, a Secret,
 * the pepper, the KEK or any other key material.
 */

export class KeyMaterialShreddedError extends Error {
  readonly code = 'KEY_MATERIAL_SHREDDED';
  constructor(readonly dataKeyId: string) {
    super(`the data key ${dataKeyId} was destroyed: this key material can no longer be read`);
  }
}

/** Wrong KEK, tampered or truncated ciphertext, or material bound to another data key. */
export class KeyMaterialIntegrityError extends Error {
  readonly code = 'KEY_MATERIAL_INTEGRITY';
  constructor(readonly dataKeyId: string) {
    super(`the key material under data key ${dataKeyId} failed authentication`);
  }
}

export class DataKeyAlreadyExistsError extends Error {
  readonly code = 'DATA_KEY_EXISTS';
  constructor(readonly dataKeyId: string) {
    super(`a data key ${dataKeyId} already exists; data keys are never overwritten`);
  }
}

/** A pepper, KEK or signing key handed to a constructor that is too short or of the wrong kind. */
export class WeakKeyMaterialError extends Error {
  readonly code = 'WEAK_KEY_MATERIAL';
}

export class SigningKeyRingError extends Error {
  readonly code = 'BAD_SIGNING_KEY_RING';
}

/** Thrown when asked to mint a Secret around something that is not a well-formed API key. */
export class InvalidApiKeyError extends Error {
  readonly code = 'INVALID_API_KEY';
}

export type InvalidSecretReason = 'malformed' | 'unknown-kid' | 'bad-signature' | 'expired' | 'bad-key-format';

export class InvalidSecretError extends Error {
  readonly code = 'INVALID_SECRET';
  constructor(readonly reason: InvalidSecretReason) {
    super(`the Secret was rejected: ${reason}`);
  }
}

/** The public signing keys could not be fetched: retriable, and not the caller's fault. */
export class SigningKeysUnavailableError extends Error {
  readonly code = 'SIGNING_KEYS_UNAVAILABLE';
  readonly retriable = true;
  constructor() {
    super('the Secret-signing public keys (JWKS) could not be fetched');
  }
}

/** Production key material from configuration is missing or invalid; names the variable only. */
export class KeyMaterialConfigError extends Error {
  readonly code = 'BAD_CONFIGURATION';
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`configuration variable ${variable} ${problem}`);
  }
}

/** A file under `<dataDir>/keys/` is unreadable or invalid; names the file, never its content. */
export class LocalKeyMaterialError extends Error {
  readonly code = 'BAD_LOCAL_KEY_MATERIAL';
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`local key file ${file} ${problem}`);
  }
}
