import { HttpException } from '@nestjs/common';

/** A dependency (Kafka, …) did not answer within the request's deadline. */
export class DependencyTimeoutError extends Error {
  override readonly name = 'DependencyTimeoutError';
  constructor(
    readonly dependency: string,
    readonly timeoutMs: number,
  ) {
    super(`${dependency} did not answer within ${timeoutMs} ms`);
  }
}

/**
 * Resolves as `work` does, or rejects with DependencyTimeoutError after `timeoutMs`: a request never
 * waits on a dependency longer than that. The work itself is not cancelled; callers undo what it may
 * still do (or make sure it cannot apply) when they give up.
 */
export function withDeadline<T>(work: Promise<T>, timeoutMs: number, dependency: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DependencyTimeoutError(dependency, timeoutMs)), timeoutMs);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/** Seconds a client is told to wait (Retry-After) after a dependency timed out. */
export const DEPENDENCY_RETRY_AFTER_SECONDS = 5;

/** 503 for a request that gave up on a dependency; nothing of it was applied. */
export class DependencyUnavailableException extends HttpException {
  readonly code = 'DEPENDENCY_TIMEOUT';
  constructor(error: DependencyTimeoutError) {
    super({ message: `${error.message}: nothing was changed; retry in a few seconds`, details: { code: 'DEPENDENCY_TIMEOUT' } }, 503);
  }
}
