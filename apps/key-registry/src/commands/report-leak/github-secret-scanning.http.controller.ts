import { setTimeout as sleep } from 'node:timers/promises';
import { Controller, Headers, HttpCode, Inject, Post, RawBodyRequest, Req } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { JSON_BODY_LIMITS } from '@keywarden/platform';
import { parseScanReport, ReportLeakService, ScanFeedback } from './report-leak.service';
import { verifyScannerSignature } from './scanner-signature';
import { SCANNER_PUBLIC_KEYS, ScannerPublicKeys } from './scanner-public-keys.port';

/**
 * A verified report is answered no sooner than this after it arrived, so the time to answer does
 * not tell a report of a known key (a ring write) from one of an absent key (a map lookup).
 */
export const REPORT_ANSWER_FLOOR_MS = 250;

/** The body limit of a report: the admin services' one limit (413 above it). */
export const REPORT_MAX_BYTES = JSON_BODY_LIMITS.maxBytes;

/**
 * GitHub's secret scanning partner program (docs/secret-scanning.md). No admin token: the report
 * is authenticated by its ECDSA signature over the raw body, checked before anything else is read.
 */
@ApiTags('Secret scanning')
@Controller('v1/secret-scanning')
export class GithubSecretScanningHttpController {
  constructor(
    private readonly leaks: ReportLeakService,
    @Inject(SCANNER_PUBLIC_KEYS) private readonly keys: ScannerPublicKeys,
  ) {}

  @Post('github')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'reportLeakedTokensGithub',
    summary: 'Receive GitHub secret scanning matches',
    description:
      'Called by GitHub’s secret scanning partner program, not by people: each match of a key the registry knows is recorded as KeyLeaked and handled per the organisation’s `leakedKeyAction`. Authenticated by the ECDSA P-256 signature of the raw body (docs/secret-scanning.md), no admin token.',
  })
  @ApiHeader({ name: 'Github-Public-Key-Identifier', required: true, description: 'The id of GitHub’s public key that signed the body.' })
  @ApiHeader({ name: 'Github-Public-Key-Signature', required: true, description: 'Base64 ECDSA P-256 / SHA-256 signature of the raw body.' })
  @ApiBody({
    schema: {
      type: 'array',
      maxItems: 1000,
      items: { type: 'object', required: ['token', 'type'], properties: { token: { type: 'string' }, type: { type: 'string' }, url: { type: 'string' }, source: { type: 'string' } } },
    },
  })
  @ApiOkResponse({
    description: 'The partner program’s feedback: one entry per match, by the token’s SHA-256, never the token.',
    schema: {
      type: 'array',
      items: {
        type: 'object',
        required: ['token_hash', 'token_type', 'label'],
        properties: { token_hash: { type: 'string', pattern: '^[0-9a-f]{64}$' }, token_type: { type: 'string' }, label: { type: 'string', enum: ['true_positive', 'false_positive'] } },
      },
    },
  })
  @ApiResponse({ status: 400, description: 'The signed body is not a list of matches.', schema: { $ref: '#/components/schemas/ApiError' } })
  @ApiResponse({ status: 401, description: 'No signature, an unknown key identifier or a signature that does not verify.', schema: { $ref: '#/components/schemas/ApiError' } })
  @ApiResponse({ status: 413, description: 'The body is over the limit.', schema: { $ref: '#/components/schemas/ApiError' } })
  @ApiResponse({ status: 503, description: 'GitHub’s public keys cannot be fetched: GitHub retries.', schema: { $ref: '#/components/schemas/ApiError' } })
  async report(
    @Req() req: RawBodyRequest<Request>,
    @Headers('github-public-key-identifier') identifier: string | undefined,
    @Headers('github-public-key-signature') signature: string | undefined,
  ): Promise<ScanFeedback[]> {
    const started = performance.now();
    await verifyScannerSignature(this.keys, req.rawBody, identifier, signature);
    const feedback = await this.leaks.report('github', parseScanReport(req.body));
    const left = REPORT_ANSWER_FLOOR_MS - (performance.now() - started);
    if (left > 0) await sleep(left);
    return feedback;
  }
}
