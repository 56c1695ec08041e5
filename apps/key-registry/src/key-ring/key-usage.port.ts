/** "Last used" of the key table: fed by the edge's usage batches (minute precision). */
export interface KeyUsageReader {
  lastUsedAt(orgId: string, keyIds: readonly string[]): Promise<ReadonlyMap<string, string>>;
}

export const KEY_USAGE_READER = Symbol('KEY_USAGE_READER');

/** Until the edge reports usage, no key has been used. */
export class NoKeyUsage implements KeyUsageReader {
  async lastUsedAt(): Promise<ReadonlyMap<string, string>> {
    return new Map();
  }
}
