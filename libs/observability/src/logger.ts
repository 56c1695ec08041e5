import { LoggerService } from '@nestjs/common';
import pino, { Logger } from 'pino';
import { currentRequestContext } from './request-context';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * Structured JSON logs. Every line carries the service name and, inside a request or a consumed
 * message, its request id (pino's mixin reads the async context). Credentials that could reach a
 * log by accident are redacted at the source, whatever the call site passes.
 */
export function createLogger(service: string, level: LogLevel = 'info', destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service },
      timestamp: pino.stdTimeFunctions.isoTime,
      messageKey: 'msg',
      mixin() {
        const context = currentRequestContext();
        return context ? { requestId: context.requestId, ...(context.orgId ? { orgId: context.orgId } : {}) } : {};
      },
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'req.headers["proxy-authorization"]',
          'res.headers["set-cookie"]',
          '*.secret',
          '*.apiKey',
          '*.code',
          '*.pepper',
          '*.password',
          'secret',
          'apiKey',
          'code',
        ],
        censor: '[redacted]',
      },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? pino.destination({ sync: false }),
  );
}

/** Nest's logger interface over pino, so framework messages land in the same JSON stream. */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  // Nest's own "log" messages (modules initialised, routes mapped) are start-up detail: debug.
  log(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string): void {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context }, String(message));
  }
}
