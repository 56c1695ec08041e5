import type { components as RegistryComponents } from '../../../../libs/api-client/src/registry.schema';
import type { components as SettingsComponents } from '../../../../libs/api-client/src/settings.schema';

/** The API.md error body: the console shows `message` as the API words it. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body: unknown,
  ) {
    super(message);
  }
}

/**
 * Calls the public REST API with the admin token held in memory. Only the bearer header
 * authenticates (no cookies), so a cross-origin call to the settings service needs no credentials.
 */
export class ApiClient {
  constructor(
    private readonly token: () => string,
    private readonly onUnauthorized: (message: string) => void,
  ) {}

  /** `codeCheck`: a 401 answers a wrong one-time code (the reveal route), not a bad token. */
  async call<T>(base: string, method: string, path: string, body?: unknown, codeCheck = false): Promise<T> {
    let res: Response;
    try {
      res = await fetch(base + path, {
        method,
        headers: { Authorization: `Bearer ${this.token()}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new ApiError(0, `${new URL(base, location.href).host} could not be reached; check that the service is running`, null);
    }
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    if (!res.ok) {
      const message = typeof (json as { message?: unknown } | null)?.message === 'string' ? (json as { message: string }).message : `${res.status} ${res.statusText}`;
      if (res.status === 401 && !codeCheck) this.onUnauthorized(message);
      throw new ApiError(res.status, message, json);
    }
    return json as T;
  }
}

// The answers' types are generated from the published documents (libs/api-client, `npm run
// api-client`): a change of the API that the document does not follow breaks the console's build.
// Type-only imports of declaration files: nothing is bundled into the browser code.
type RegistrySchemas = RegistryComponents['schemas'];
export type Key = RegistrySchemas['Key'];
export type IssuedKey = RegistrySchemas['IssuedKey'];
export type RevokedKey = RegistrySchemas['RevokedKey'];
export type RevealRequested = RegistrySchemas['RevealRequested'];
export type RevealedKey = RegistrySchemas['RevealedKey'];
export type KeyTest = RegistrySchemas['KeyTest'];
export type KeyList = RegistrySchemas['KeyList'];
export type Settings = SettingsComponents['schemas']['Settings'];
export type SettingsChange = SettingsComponents['schemas']['SettingsChange'];
