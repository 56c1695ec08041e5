import { applyDecorators } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiProperty, ApiPropertyOptions, ApiResponse } from '@nestjs/swagger';
import { ORG_ID_PATTERN } from '@keywarden/contracts';

/** The component every refusal of every operation points to: API.md's error body. */
export const API_ERROR_SCHEMA = 'ApiError';
const errorBody = { $ref: `#/components/schemas/${API_ERROR_SCHEMA}` };

/** A date-time as Keywarden answers it: UTC, whole seconds, `Z` only when the organisation's isoUtcTimestamps is on. */
export const DATE_TIME_PATTERN = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z?$';
const DATE_TIME_FORMS =
  'An instant in UTC with whole seconds, in the form the organisation chose with its `isoUtcTimestamps` setting: ' +
  '`2025-11-23T12:44:11Z` when it is on, `2025-11-23T12:44:11` (the same UTC instant without a zone designator) when it is off (the default).';

/** A date-time field of an answer; not `format: date-time`, which would refuse the form without a zone. */
export function ApiDateTime(description: string, options: Readonly<{ nullable?: boolean; required?: boolean }> = {}): PropertyDecorator {
  return ApiProperty({
    type: 'string',
    pattern: DATE_TIME_PATTERN,
    description: `${description} ${DATE_TIME_FORMS}`,
    example: '2025-11-23T12:44:11Z',
    nullable: options.nullable ?? false,
    required: options.required ?? true,
  });
}

/** Statuses a Keywarden admin route may refuse with, each answered with the shared error body. */
export type RefusalStatus = 400 | 401 | 403 | 404 | 409 | 410 | 413 | 415 | 429 | 503;
/** A refusal's description, or its description and the headers it always carries (e.g. Retry-After). */
export type Refusal = string | Readonly<{ description: string; headers: Record<string, Readonly<{ description: string; schema: Record<string, unknown> }>> }>;
export type Refusals = Partial<Record<RefusalStatus, Refusal>>;

/** What every admin route can answer whatever it does (the guard, the URL, the event store). */
const ADMIN_REFUSALS: Refusals = {
  400: 'The organisation id, the URL or the body is malformed (`details.code` says which; `details.problems` lists each invalid field).',
  401: 'No admin token, or one that is expired, badly signed or for another audience: sign in again.',
  403: 'The token is for another organisation, or lacks the admin or operator role.',
  503: 'The identity provider’s keys or the event store cannot be reached: retry shortly.',
};
/** What every route that reads a JSON body can answer on top (the body parser's refusals). */
const BODY_REFUSALS: Refusals = {
  413: 'The body is larger than the limit (`details.code` PAYLOAD_TOO_LARGE).',
  415: 'The body is not UTF-8 JSON sent as `Content-Type: application/json`.',
};

export type AdminOperationOptions = Readonly<{
  operationId: string;
  summary: string;
  description: string;
  /** Takes a JSON body: the body parser's refusals are documented too. */
  body?: boolean;
  /** This route's own refusals, added to (or overriding the text of) the ones every admin route has. */
  refusals?: Refusals;
}>;

/** One admin operation's summary, description and every refusal, with the shared error body. */
export function AdminOperation(options: AdminOperationOptions): MethodDecorator {
  const refusals: Refusals = { ...ADMIN_REFUSALS, ...(options.body ? BODY_REFUSALS : {}), ...options.refusals };
  return applyDecorators(
    ApiOperation({ operationId: options.operationId, summary: options.summary, description: options.description }),
    ApiParam({ name: 'orgId', description: 'The organisation’s id.', schema: { type: 'string', pattern: ORG_ID_PATTERN.source, example: 'acme' } }),
    ...Object.entries(refusals).map(([status, refusal]) =>
      typeof refusal === 'string'
        ? ApiResponse({ status: Number(status), description: refusal, schema: errorBody })
        : ApiResponse({ status: Number(status), description: refusal.description, schema: errorBody, headers: Object.fromEntries(Object.entries(refusal.headers).map(([name, header]) => [name, { ...header, required: true }])) }),
    ),
  );
}

export type { ApiPropertyOptions };
