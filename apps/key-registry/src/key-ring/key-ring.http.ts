import { Injectable, NotFoundException, Param, PipeTransform } from '@nestjs/common';
import { KEY_ID_PATTERN } from '@keywarden/contracts';

/** A malformed key id names no key of this organisation: 404, the same as an unknown one. */
@Injectable()
export class KeyIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!KEY_ID_PATTERN.test(value)) throw new NotFoundException(`key ${value.slice(0, 64)} does not exist in this organisation`);
    return value;
  }
}

export const KeyIdParam = (): ParameterDecorator => Param('keyId', KeyIdPipe);

/** HTTP statuses of the registry's domain error codes (API.md). */
export const REGISTRY_STATUS_BY_CODE: Readonly<Record<string, number>> = {
  KEY_NOT_FOUND: 404,
  ACTIVE_KEY_EXISTS: 409,
  KEY_ALREADY_REVOKED: 409,
  KEY_EXPIRED: 409,
  KEY_STILL_ACTIVE: 409,
  KEY_NOT_CURRENT: 409,
  KEY_ID_TAKEN: 409,
  CONCURRENT_CHANGE: 409,
  EVENT_STORE_UNAVAILABLE: 503,
  INVALID_VALIDITY: 400,
  INVALID_GRACE: 400,
  INVALID_AUDIT_QUERY: 400,
  CONTRACT_VIOLATION: 500,
};

