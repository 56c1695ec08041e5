import { DynamicModule, INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import pinoHttp from 'pino-http';
import type { Logger } from 'pino';
import { SwaggerModule } from '@nestjs/swagger';
import {
  ApiExceptionFilter,
  currentRequestId,
  httpMetricsMiddleware,
  NestPinoLogger,
  percentEncodingMiddleware,
  requestContextMiddleware,
  RequestIdHeaderLookup,
} from '@keywarden/observability';
import { BodyValidationPipe } from './body-validation.pipe';
import { jsonBodyMiddleware } from './json-body.middleware';
import { buildOpenApiDocument } from './openapi/openapi-document';
import { OpsModule } from './ops/ops.module';
import { ReadinessSource } from './ops/readiness';

export type HttpAppOptions = Readonly<{
  logger: Logger;
  /** Domain error code -> HTTP status, for the one exception filter. */
  statusByCode: Readonly<Record<string, number>>;
  requestIdHeaderFor: RequestIdHeaderLookup;
  /** The longest a request waits on Kafka (REQUEST_DEPENDENCY_TIMEOUT_MS) before a 503. */
  dependencyTimeoutMs?: number;
  /** Names the service in metrics (`service` label). @default 'http' */
  service?: string;
  /** What /health/ready checks (Infrastructure.readinessChecks). @default nothing: ready when up */
  readiness?: ReadinessSource;
  /** OpenAPI document at /docs (and /docs-json) when given. */
  openApi?: Readonly<{ title: string; description: string; version?: string; defaultUrl: string }>;
}>;

/** Probes and scrapes: answered and counted, but not logged per request (they come every few seconds). */
const isOpsPath = (url: string | undefined): boolean => url !== undefined && (url.startsWith('/health/') || url.startsWith('/metrics'));

/**
 * Creates an admin HTTP service the same way for every app: JSON logs with the request id,
 * strict body validation (unknown fields refused), the API.md error body, graceful shutdown.
 */
export async function createHttpApp(module: DynamicModule, options: HttpAppOptions): Promise<INestApplication> {
  const withOps: DynamicModule = { ...module, imports: [...(module.imports ?? []), OpsModule.forRoot(options.readiness ?? (() => []))] };
  const app = await NestFactory.create<NestExpressApplication>(withOps, {
    logger: new NestPinoLogger(options.logger),
    bodyParser: false,
  });
  configureHttpApp(app, options);
  if (options.openApi) setUpOpenApi(app, options.openApi, options.statusByCode);
  return app;
}

/** Swagger UI at /docs, the JSON document at /docs-json (the one docs/openapi/ holds). */
function setUpOpenApi(app: INestApplication, openApi: NonNullable<HttpAppOptions['openApi']>, statusByCode: HttpAppOptions['statusByCode']): void {
  const document = buildOpenApiDocument(app, { ...openApi, errorCodes: Object.keys(statusByCode) });
  SwaggerModule.setup('docs', app, () => document, { jsonDocumentUrl: 'docs-json' });
}

export function configureHttpApp(app: INestApplication, options: HttpAppOptions): void {
  const express = app as NestExpressApplication;
  express.disable('x-powered-by');
  app.use(httpMetricsMiddleware(options.service ?? 'http'));
  // Before anything reads the URL (the request id may come from its query).
  app.use(percentEncodingMiddleware());
  app.use(requestContextMiddleware(options.requestIdHeaderFor, { dependencyTimeoutMs: options.dependencyTimeoutMs }));
  app.use(
    pinoHttp({
      logger: options.logger,
      autoLogging: { ignore: (req) => isOpsPath(req.url) },
      genReqId: () => currentRequestId() ?? 'none',
      customProps: () => ({}),
      serializers: {
        req: (req: { method: string; url: string }) => ({ method: req.method, url: req.url.split('?')[0] }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    }),
  );
  // After the request context and the request log, so a refused body is logged and answered with
  // the request id like any other refusal.
  app.use(jsonBodyMiddleware());
  app.useGlobalPipes(
    new BodyValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      stopAtFirstError: false,
    }),
  );
  app.useGlobalFilters(new ApiExceptionFilter(options.statusByCode, options.logger));
}
