import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { CLOCK, Clock } from '@keywarden/clock';
import { LeakScanner, ORG_SETTINGS_READER, OrgSettingsReader, scannerActor } from '@keywarden/contracts';
import { inspectSecret, parseApiKey } from '@keywarden/crypto';
import { KeyRingError } from '../../domain/key-ring.errors';
import { KeyMaterialService } from '../../key-ring/key-material.service';
import { KeyRingRepository } from '../../key-ring/key-ring.repository';
import { KeyFingerprintIndex } from './key-fingerprint.index';
import { SecretScanningError } from './secret-scanning.errors';

export const SECRET_SCANNING_LOGGER = Symbol('SECRET_SCANNING_LOGGER');

/** One match of a report: the token found, the scanner's name for its format, where it was found. */
export type ScanMatch = Readonly<{ token: string; type: string; url: string; source: string }>;

/** The partner program's answer per match: the token's SHA-256, never the token. */
export type ScanFeedback = Readonly<{ token_hash: string; token_type: string; label: 'true_positive' | 'false_positive' }>;

/** A report holds at most this many matches; a longer one is refused whole (the body limit bounds it too). */
export const MAX_MATCHES_PER_REPORT = 1_000;
const MAX_URL_LENGTH = 2048;
const MAX_SOURCE_LENGTH = 100;
const MAX_TYPE_LENGTH = 100;

const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** The API key a token carries: the token itself, or a Secret's `client_secret` (its signature is not checked: a leaked Secret leaks its key). */
export function keyInToken(token: string): string | null {
  if (parseApiKey(token).ok) return token;
  const inspected = inspectSecret(token);
  return inspected.ok ? inspected.secret.apiKey : null;
}

/** Checks the shape of a report body (already parsed JSON); throws a 400 refusal naming no token. */
export function parseScanReport(body: unknown): ScanMatch[] {
  const refuse = (why: string): never => {
    throw new SecretScanningError('SCAN_REPORT_MALFORMED', `a report is a JSON array of {token, type, url, source}: ${why}`);
  };
  if (!Array.isArray(body)) return refuse('the body is not an array');
  if (body.length > MAX_MATCHES_PER_REPORT) return refuse(`at most ${MAX_MATCHES_PER_REPORT} matches per report`);
  return body.map((entry: unknown, i) => {
    if (typeof entry !== 'object' || entry === null) return refuse(`match ${i} is not an object`);
    const { token, type, url, source } = entry as Record<string, unknown>;
    if (typeof token !== 'string' || token.length === 0) return refuse(`match ${i} has no token string`);
    if (typeof type !== 'string') return refuse(`match ${i} has no type string`);
    if (url !== undefined && typeof url !== 'string') return refuse(`match ${i} has a url that is not a string`);
    if (source !== undefined && typeof source !== 'string') return refuse(`match ${i} has a source that is not a string`);
    return { token, type: type.slice(0, MAX_TYPE_LENGTH), url: (url ?? '').slice(0, MAX_URL_LENGTH), source: (source ?? 'unknown').slice(0, MAX_SOURCE_LENGTH) };
  });
}

/**
 * What a verified report does: each token carrying a key the registry knows (and has not deleted)
 * records the leak on the key's ring, which revokes and replaces it or only notifies, per the
 * organisation's leakedKeyAction. Neither the token nor the key is logged, stored or answered.
 */
@Injectable()
export class ReportLeakService {
  constructor(
    private readonly index: KeyFingerprintIndex,
    private readonly repository: KeyRingRepository,
    private readonly material: KeyMaterialService,
    @Inject(ORG_SETTINGS_READER) private readonly settings: OrgSettingsReader,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(SECRET_SCANNING_LOGGER) private readonly logger: Logger,
  ) {}

  async report(scanner: LeakScanner, matches: readonly ScanMatch[]): Promise<ScanFeedback[]> {
    const feedback: ScanFeedback[] = [];
    const recorded: Array<{ orgId: string; keyId: string }> = [];
    for (const match of matches) {
      const found = await this.record(scanner, match);
      if (found) recorded.push(found);
      feedback.push({ token_hash: sha256Hex(match.token), token_type: match.type, label: found ? 'true_positive' : 'false_positive' });
    }
    this.logger.info({ scanner, matches: matches.length, truePositives: recorded.length, keys: recorded }, 'secret-scanning report processed');
    return feedback;
  }

  /** The key's location when the token carries a key of a ring, else null (unknown, malformed, deleted). */
  private async record(scanner: LeakScanner, match: ScanMatch): Promise<{ orgId: string; keyId: string } | null> {
    const apiKey = keyInToken(match.token);
    if (apiKey === null) return null;
    const location = await this.index.find(this.material.fingerprint(apiKey));
    if (location === null) return null;
    const { orgId, keyId } = location;
    const { leakedKeyAction, rotationIntervalDays } = await this.settings.get(orgId);
    const metadata = { now: this.clock.now().toISOString(), actor: scannerActor(scanner) };
    try {
      // A key is generated for the replacement every time; the decision records it only when it revokes (otherwise it is shredded at once).
      await this.material.recordNewKey((newKey) =>
        this.repository.execute(
          orgId,
          {
            type: 'RecordLeak',
            data: { keyId, scanner, url: match.url, source: match.source, action: leakedKeyAction, newKey, newKeyValidity: { kind: 'days', days: rotationIntervalDays } },
            metadata,
          },
          { attempts: 3 },
        ),
      );
    } catch (error) {
      if (error instanceof KeyRingError && error.code === 'KEY_NOT_FOUND') return null;
      throw error;
    }
    return location;
  }
}
