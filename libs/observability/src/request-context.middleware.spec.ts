import type { NextFunction, Request, Response } from 'express';
import { DependencyUnavailableException } from './dependency-deadline';
import { requestContextMiddleware } from './request-context.middleware';

describe('requestContextMiddleware: the request-id header lookup has a deadline', () => {
  const run = (headerFor: (orgId: string) => Promise<string>) =>
    new Promise<{ error: unknown; headers: Record<string, string> }>((resolve) => {
      const headers: Record<string, string> = {};
      const req = { path: '/v1/orgs/acme/settings', headers: {}, query: {} } as unknown as Request;
      const res = { setHeader: (name: string, value: string) => void (headers[name] = value) } as unknown as Response;
      const next: NextFunction = (error?: unknown) => resolve({ error, headers });
      requestContextMiddleware(headerFor, { dependencyTimeoutMs: 50 })(req, res, next);
    });

  it('answers 503 DEPENDENCY_TIMEOUT with Retry-After, and does not run the route, when the lookup waits past the deadline', async () => {
    const { error, headers } = await run(() => new Promise<string>(() => undefined));
    expect(error).toBeInstanceOf(DependencyUnavailableException);
    expect((error as DependencyUnavailableException).getStatus()).toBe(503);
    expect((error as DependencyUnavailableException).getResponse()).toMatchObject({ details: { code: 'DEPENDENCY_TIMEOUT' } });
    expect(headers['Retry-After']).toBe('5');
  });

  it('runs the route (next without an error) when the lookup answers in time, or fails at once', async () => {
    expect((await run(async () => 'X-Trace-Id')).error).toBeUndefined();
    expect((await run(async () => Promise.reject(new Error('no settings')))).error).toBeUndefined();
  });
});
