/** Stream ids, built in one place so that every reader and writer agrees on them. */
export const keyRingStream = (orgId: string): string => `keyring-${orgId}`;
export const settingsStream = (orgId: string): string => `settings-${orgId}`;

export const KEY_RING_STREAM_PREFIX = 'keyring-';
export const SETTINGS_STREAM_PREFIX = 'settings-';

export const orgIdOfStream = (streamId: string): string | null => {
  for (const prefix of [KEY_RING_STREAM_PREFIX, SETTINGS_STREAM_PREFIX]) {
    if (streamId.startsWith(prefix)) return streamId.slice(prefix.length);
  }
  return null;
};

/** Organisation ids appear in stream names, topics keys and URLs: keep them boring. */
export const ORG_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
export const KEY_ID_PATTERN = /^key_[0-9A-Za-z]{16,40}$/;
