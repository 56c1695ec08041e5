import { HttpException } from '@nestjs/common';

/** Stable `details.code` of a request refused for its form, before any route runs. */
export const REQUEST_REFUSAL_CODES = [
  'MALFORMED_URL',
  'UNSUPPORTED_MEDIA_TYPE',
  'UNSUPPORTED_CHARSET',
  'UNSUPPORTED_CONTENT_ENCODING',
  'PAYLOAD_TOO_LARGE',
  'MALFORMED_JSON',
  'JSON_TOO_DEEP',
  'FORBIDDEN_JSON_KEY',
  'BODY_NOT_AN_OBJECT',
  'BODY_LENGTH_MISMATCH',
] as const;
export type RequestRefusalCode = (typeof REQUEST_REFUSAL_CODES)[number];

/**
 * A request the service refuses for what the client sent (URL, content type, body), not for a
 * fault of its own: the error filter answers it with its status and code and logs it at warn,
 * without a stack.
 */
export class RequestRefusedException extends HttpException {
  constructor(
    status: 400 | 413 | 415,
    readonly code: RequestRefusalCode,
    message: string,
  ) {
    super({ message, details: { code } }, status);
  }
}
