import { DynamicModule, INestApplication, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import pinoHttp from 'pino-http';
import type { Logger } from 'pino';
import { ApiExceptionFilter, currentRequestId, NestPinoLogger, requestContextMiddleware, RequestIdHeaderLookup } from '@keywarden/observability';

export type HttpAppOptions = Readonly<{
  logger: Logger;
  /** Domain error code -> HTTP status, for the one exception filter. */
  statusByCode: Readonly<Record<string, number>>;
  requestIdHeaderFor: RequestIdHeaderLookup;
}>;

/**
 * Creates an admin HTTP service the same way for every app: JSON logs with the request id,
 * strict body validation (unknown fields refused), the API.md error body, graceful shutdown.
 */
export async function createHttpApp(module: DynamicModule, options: HttpAppOptions): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(module, {
    logger: new NestPinoLogger(options.logger),
    bodyParser: false,
  });
  configureHttpApp(app, options);
  return app;
}

export function configureHttpApp(app: INestApplication, options: HttpAppOptions): void {
  const express = app as NestExpressApplication;
  express.disable('x-powered-by');
  express.useBodyParser('json', { limit: '64kb' });
  app.use(requestContextMiddleware(options.requestIdHeaderFor));
  app.use(
    pinoHttp({
      logger: options.logger,
      genReqId: () => currentRequestId() ?? 'none',
      customProps: () => ({}),
      serializers: {
        req: (req: { method: string; url: string }) => ({ method: req.method, url: req.url.split('?')[0] }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    }),
  );
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      stopAtFirstError: false,
    }),
  );
  app.useGlobalFilters(new ApiExceptionFilter(options.statusByCode, options.logger));
}
