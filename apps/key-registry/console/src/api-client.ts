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

export type Key = {
  keyId: string;
  orgId: string;
  hint: string;
  status: 'active' | 'revoked' | 'expired';
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  graceEndsAt: string | null;
  lastUsedAt: string | null;
  replacedBy: string | null;
  /** When the key stops being accepted: the earlier of its expiry and its grace end; null = never. */
  acceptUntil: string | null;
  /** A secret scanner's report of the key published; null while none came. */
  leak: { at: string; url: string; source: string; scanner: string } | null;
};

export type Settings = {
  isoUtcTimestamps: boolean;
  requestIdHeader: string;
  rotationIntervalDays: number;
  defaultGraceDays: number;
  expiryNoticeDays: number;
  notificationEmails: string[];
  mediaMaxBase64Bytes: number;
  leakedKeyAction: 'revoke' | 'notify';
};
