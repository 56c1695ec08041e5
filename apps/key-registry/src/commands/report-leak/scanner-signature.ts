import { verify } from 'node:crypto';
import { ScannerPublicKeys } from './scanner-public-keys.port';
import { SecretScanningError } from './secret-scanning.errors';

const MAX_HEADER_LENGTH = 1024;

/**
 * Checks a report's ECDSA P-256 / SHA-256 signature (DER, Base64) over the exact bytes received,
 * against the scanner's public key named by the identifier header. Throws a 401 refusal otherwise.
 */
export async function verifyScannerSignature(
  keys: ScannerPublicKeys,
  rawBody: Buffer | undefined,
  identifier: string | undefined,
  signature: string | undefined,
): Promise<void> {
  if (!identifier || !signature || identifier.length > MAX_HEADER_LENGTH || signature.length > MAX_HEADER_LENGTH) {
    throw new SecretScanningError('SCAN_SIGNATURE_MISSING', 'a report must carry the Github-Public-Key-Identifier and Github-Public-Key-Signature headers');
  }
  if (!rawBody) throw new SecretScanningError('SCAN_REPORT_MALFORMED', 'a report is a JSON array of matches (content-type application/json)');
  const key = await keys.find(identifier);
  let valid = false;
  if (key) {
    try {
      valid = verify('sha256', rawBody, { key, dsaEncoding: 'der' }, Buffer.from(signature, 'base64'));
    } catch {
      valid = false;
    }
  }
  if (!valid) throw new SecretScanningError('SCAN_SIGNATURE_INVALID', 'the report signature does not verify against the scanner public key it names');
}
