import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus } from '@nestjs/common';
import type { Response } from 'express';
import type { Logger } from 'pino';
import { RequestRefusedException } from './request-refused.exception';

/** The JSON error body of API.md: `{statusCode, error, message, details?}`. */
export type ApiErrorBody = { statusCode: number; error: string; message: string; details?: unknown };

/** An error that carries a stable code, such as the domain's refusals. */
type CodedError = Error & { code: string; details?: unknown };

const isCoded = (e: unknown): e is CodedError => e instanceof Error && typeof (e as { code?: unknown }).code === 'string';

/** An http-errors error (Express, its router) that blames the client: e.g. a path its router cannot decode. */
const isClientHttpError = (e: unknown): e is Error & { status: number } => {
  const status = (e as { status?: unknown } | null)?.status;
  return e instanceof Error && typeof status === 'number' && status >= 400 && status < 500 && (e as { expose?: unknown }).expose === true;
};

const reason = (status: number): string =>
  (HttpStatus[status] ?? 'Error')
    .toLowerCase()
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(' ');

/**
 * The one place where errors become HTTP responses. Domain errors map by their stable code;
 * Nest's HTTP exceptions keep their status; anything else is a 500 whose detail stays in the log
 * (never in the body, which could otherwise leak internals).
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  constructor(
    private readonly statusByCode: Readonly<Record<string, number>>,
    private readonly logger: Logger,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const body = this.toBody(exception);
    if (body.statusCode >= 500) this.logger.error({ err: exception }, 'request failed');
    // The client's doing, and expected from scanners: one line to see it, no stack to page anyone. The
    // message is not logged: a parser's message can quote the body, and a body can carry a key.
    else if (exception instanceof RequestRefusedException) this.logger.warn({ statusCode: body.statusCode, refusal: exception.code }, 'request refused');
    if (response.headersSent) return;
    response.status(body.statusCode).json(body);
  }

  toBody(exception: unknown): ApiErrorBody {
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const payload = exception.getResponse();
      if (typeof payload === 'string') return { statusCode: status, error: reason(status), message: payload };
      const p = payload as { message?: unknown; error?: unknown; details?: unknown };
      // class-validator's messages arrive as an array: keep each problem, and one readable sentence.
      const problems = Array.isArray(p.message) ? (p.message as string[]) : null;
      const message = problems ? `invalid request: ${problems.join('; ')}` : String(p.message ?? reason(status));
      const details = problems ? { problems } : p.details;
      return { statusCode: status, error: reason(status), message, ...(details !== undefined ? { details } : {}) };
    }
    if (isCoded(exception) && this.statusByCode[exception.code] !== undefined) {
      const status = this.statusByCode[exception.code];
      return {
        statusCode: status,
        error: reason(status),
        message: exception.message,
        details: { code: exception.code, ...(typeof exception.details === 'object' && exception.details ? exception.details : {}) },
      };
    }
    if (isClientHttpError(exception)) {
      return { statusCode: exception.status, error: reason(exception.status), message: `the request was refused: ${exception.message}` };
    }
    return { statusCode: 500, error: 'Internal Server Error', message: 'an unexpected error occurred; it has been logged' };
  }
}
