import { setTimeout as sleep } from 'node:timers/promises';
import { Controller, Headers, HttpCode, Inject, Post, RawBodyRequest, Req } from '@nestjs/common';
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
@Controller('v1/secret-scanning')
export class GithubSecretScanningHttpController {
  constructor(
    private readonly leaks: ReportLeakService,
    @Inject(SCANNER_PUBLIC_KEYS) private readonly keys: ScannerPublicKeys,
  ) {}

  @Post('github')
  @HttpCode(200)
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
