import { randomUUID } from 'node:crypto';
import http, { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Clock } from '@keywarden/clock';
import { isValidRequestId, REQUEST_ID_QUERY_PARAMETER, RequestContext } from '@keywarden/observability';
import { DEFAULT_EDGE_SETTINGS, EdgeOrgSettings, OrgSettingsSnapshot } from '../settings/org-settings.snapshot';
import { UsageRecorder } from '../usage/usage-recorder';
import { KeyCacheIncompleteError } from '../validation/key-entry.cache';
import type { SecretValidator, Verdict } from '../validation/secret-validator';
import { EdgeError, EdgeErrors, sendEdgeError } from './edge-responses';
import { requestTargetProblem } from './request-target';
import { UpstreamProxy } from './upstream-proxy';
import { countDecision } from '../edge.metrics';
import { checkReadiness, ReadinessSource } from '@keywarden/platform';
import { metricsText } from '@keywarden/observability';

export type EdgeHttpServerDeps = Readonly<{
  validator: SecretValidator;
  settings: OrgSettingsSnapshot;
  proxy: UpstreamProxy;
  usage: UsageRecorder;
  clock: Clock;
  logger: Logger;
  /** Readiness: resolves when the active-key cache answers. */
  ping: () => Promise<void>;
  /** /_keywarden/health/ready: the process's Kafka and Redis connections (Infrastructure.readinessChecks). */
  readiness?: ReadinessSource;
  accessLog: boolean;
  /** How long a client may take (EDGE_HEADERS_TIMEOUT_MS, EDGE_REQUEST_TIMEOUT_MS, EDGE_KEEP_ALIVE_TIMEOUT_MS); Node's defaults suit no gateway. */
  timeouts?: EdgeTimeouts;
}>;

export type EdgeTimeouts = Readonly<{ headersTimeoutMs: number; requestTimeoutMs: number; keepAliveTimeoutMs: number }>;

const GATEWAY_TIMEOUTS: EdgeTimeouts = { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 65_000 };

/** The edge's own endpoints are read-only. */
const INTERNAL_METHODS = 'GET, HEAD';

/** Forward-auth (nginx auth_request, Traefik ForwardAuth; Envoy ext_authz appends the original path). */
const AUTH_PATH = '/auth';
/** The edge's own endpoints; everything else belongs to the upstream. */
const INTERNAL_PREFIX = '/_keywarden/';

const isAuthPath = (url: string): boolean =>
  url.startsWith(AUTH_PATH) && (url.length === AUTH_PATH.length || url[AUTH_PATH.length] === '?' || url[AUTH_PATH.length] === '/');

function bearerOf(authorization: string | undefined): string | undefined {
  if (authorization === undefined || authorization.length < 8) return undefined;
  const scheme = authorization.slice(0, 7);
  if (scheme !== 'Bearer ' && scheme.toLowerCase() !== 'bearer ') return undefined;
  const token = authorization.slice(7).trim();
  return token.length > 0 ? token : undefined;
}

function queryParameter(url: string, name: string): string | undefined {
  const q = url.indexOf('?');
  if (q < 0 || url.indexOf(name, q) < 0) return undefined;
  return new URLSearchParams(url.slice(q + 1)).get(name) ?? undefined;
}

/**
 * The caller's request id: the organisation's header, else the customerRequestId parameter of the
 * caller's URL. `fromQuery` is set when it came from the parameter (it is then sent upstream as
 * the header). Not validated here.
 */
function requestIdOf(req: IncomingMessage, callerUrl: string, settings: EdgeOrgSettings): { given: string | undefined; fromQuery: string | undefined } {
  const fromHeader = req.headers[settings.requestIdHeaderLower];
  if (typeof fromHeader === 'string') return { given: fromHeader, fromQuery: undefined };
  const fromQuery = queryParameter(callerUrl, REQUEST_ID_QUERY_PARAMETER);
  return { given: fromQuery, fromQuery };
}

/** The organisation of a Secret whose signature verified; undefined for anything else. */
const orgIdOf = (verdict: Verdict): string | undefined =>
  verdict.outcome === 'accepted' ? verdict.secret.orgId : verdict.outcome === 'refused' ? verdict.orgId : undefined;

const pathOf = (url: string): string => {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
};

/** For forward-auth the caller's URL arrives in a header, depending on the proxy in front. */
const originalUrlOf = (req: IncomingMessage, url: string): string => {
  const forwarded = req.headers['x-forwarded-uri'] ?? req.headers['x-original-uri'];
  return typeof forwarded === 'string' ? forwarded : url;
};

/**
 * The edge's HTTP front on Node's http module: no framework, no middleware chain on the request
 * path. Each request is validated (SecretValidator), gets its request id (the organisation's
 * header, else the customerRequestId parameter, else a generated one for the logs only), and is
 * then refused, answered (forward-auth) or forwarded (UpstreamProxy). Every log line of a request
 * carries its request id and organisation as fields, written the way the shared logger's request
 * context writes them; the request path never enters an AsyncLocalStorage context, because doing so
 * turns Node 20's async hooks on for the whole process, a cost every proxied request then pays
 * (docs/adr/0003-hot-path-measurements.md).
 */
export class EdgeHttpServer {
  private readonly server: Server;

  constructor(private readonly deps: EdgeHttpServerDeps) {
    const { headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs } = deps.timeouts ?? GATEWAY_TIMEOUTS;
    this.server = http.createServer(
      {
        headersTimeout: headersTimeoutMs,
        requestTimeout: requestTimeoutMs,
        keepAliveTimeout: keepAliveTimeoutMs,
        // Node checks both timeouts on this interval (30 s by default): a slow client would be held up to that much longer.
        connectionsCheckingInterval: Math.min(1_000, headersTimeoutMs),
      },
      (req, res) => this.handle(req, res, false),
    );
    // Answer `Expect: 100-continue` only once the request is let through, so a refused or too
    // large upload is stopped before the client sends its body.
    this.server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => this.handle(req, res, true));
    this.server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => answerClientError(error, socket));
    // CONNECT's authority-form target: without a listener Node drops the connection unanswered.
    this.server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
      const err = EdgeErrors.badRequestTarget('ABSOLUTE_FORM_TARGET', 'the gateway is not a tunnel: CONNECT is not accepted');
      socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${err.body.length}\r\nConnection: close\r\n\r\n${err.body.toString()}`);
    });
  }

  async listen(port: number, host: string): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address() as AddressInfo;
    return `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  }

  async close(): Promise<void> {
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse, expectsContinue: boolean): void {
    const startedAt = performance.now();
    const url = req.url ?? '/';
    // Before anything else, the edge's own endpoints included: a target the upstream could resolve
    // out of the base path, or one no route can parse, is the caller's mistake (400), never a 5xx.
    const targetProblem = requestTargetProblem(url);
    if (targetProblem !== null) {
      this.refuse(res, req, EdgeErrors.badRequestTarget(targetProblem.code, targetProblem.message), [], () => {
        countDecision('bad-request-target', targetProblem.code);
        this.deps.logger.info({ method: req.method, status: 400, problem: targetProblem.code, durationMs: elapsed(startedAt) }, 'edge request');
      });
      return;
    }
    if (url.startsWith(INTERNAL_PREFIX)) {
      this.internal(req, res, url);
      return;
    }
    // Every failure, thrown here or in a continuation, ends in failed(): one 500 and one log line
    // carrying the caller's request id.
    try {
      const nowMs = this.deps.clock.now().getTime();
      const verdict = this.deps.validator.validate(bearerOf(req.headers.authorization), nowMs);
      if (verdict instanceof Promise) {
        verdict
          .then((v) => this.decided(req, res, v, url, nowMs, startedAt, expectsContinue))
          .catch((error: unknown) => this.failed(req, res, error, url, startedAt, DEFAULT_EDGE_SETTINGS, undefined));
      } else {
        this.decided(req, res, verdict, url, nowMs, startedAt, expectsContinue);
      }
    } catch (error) {
      this.failed(req, res, error, url, startedAt, DEFAULT_EDGE_SETTINGS, undefined);
    }
  }

  private decided(req: IncomingMessage, res: ServerResponse, verdict: Verdict, url: string, nowMs: number, startedAt: number, expectsContinue: boolean): void {
    // A verified Secret names its organisation, accepted or not: its request-id header applies.
    const orgId = orgIdOf(verdict);
    if (orgId === undefined) {
      this.respond(req, res, verdict, DEFAULT_EDGE_SETTINGS, url, nowMs, startedAt, expectsContinue);
      return;
    }
    let settings = DEFAULT_EDGE_SETTINGS;
    try {
      settings = this.deps.settings.get(orgId);
      this.respond(req, res, verdict, settings, url, nowMs, startedAt, expectsContinue);
    } catch (error) {
      this.failed(req, res, error, url, startedAt, settings, orgId);
    }
  }

  private respond(
    req: IncomingMessage,
    res: ServerResponse,
    verdict: Verdict,
    settings: EdgeOrgSettings,
    url: string,
    nowMs: number,
    startedAt: number,
    expectsContinue: boolean,
  ): void {
    const auth = isAuthPath(url);
    const callerUrl = auth ? originalUrlOf(req, url) : url;
    const { given, fromQuery } = requestIdOf(req, callerUrl, settings);
    const context = new EdgeRequestContext(given, orgIdOf(verdict));
    const log = (status: number, problem?: string): void =>
      this.accessLog(context, req.method, pathOf(callerUrl), status, startedAt, verdict, auth, problem);

    if (given !== undefined && !isValidRequestId(given)) {
      // Never logged as given: it could forge log lines.
      context.forget();
      this.refuse(res, req, EdgeErrors.badRequestId(settings.requestIdHeader, REQUEST_ID_QUERY_PARAMETER), [], () => log(400, 'bad-request-id'));
      return;
    }
    const echo = given !== undefined ? [settings.requestIdHeader, given] : [];

    if (verdict.outcome === 'refused') {
      const err = verdict.reason === 'missing' ? EdgeErrors.missingBearer : EdgeErrors.invalidSecret;
      this.refuse(res, req, err, echo, () => log(401));
      return;
    }
    if (verdict.outcome === 'unavailable') {
      const err =
        verdict.cause === 'key-cache' ? EdgeErrors.cacheUnavailable : verdict.cause === 'key-cache-incomplete' ? EdgeErrors.cacheIncomplete : EdgeErrors.signingKeysUnavailable;
      this.refuse(res, req, err, echo, () => log(503, `${verdict.cause} unavailable`));
      return;
    }
    const { orgId: org, keyId } = verdict.secret;
    this.deps.usage.record(org, keyId, nowMs);
    if (auth) {
      res.writeHead(204, ['X-Keywarden-Org', org, 'X-Keywarden-Key-Id', keyId, ...echo]);
      res.end();
      log(204);
      return;
    }
    this.deps.proxy.forward(req, res, {
      upstreamHeaders: fromQuery !== undefined ? ['X-Keywarden-Org', org, 'X-Keywarden-Key-Id', keyId, settings.requestIdHeader, fromQuery] : ['X-Keywarden-Org', org, 'X-Keywarden-Key-Id', keyId],
      responseHeaders: echo,
      bodyLimit: settings.mediaMaxBase64Bytes,
      rewriteDateTimes: settings.isoUtcTimestamps,
      expectsContinue,
      onDone: log,
    });
  }

  /** A refusal before the body was read: the connection is closed rather than drained. */
  private refuse(res: ServerResponse, req: IncomingMessage, err: EdgeError, echo: readonly string[], log: () => void): void {
    const unreadBody = req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';
    sendEdgeError(res, err, echo, unreadBody);
    log();
  }

  /**
   * An unexpected failure: 500, and a log line with the caller's request id, found the same way
   * as for any other answer. The organisation's header name is used once its settings are known;
   * before that (the Secret not checked yet, or its settings unreadable) the default header and
   * the customerRequestId parameter. A malformed id is never logged: a generated one stands in.
   */
  private failed(req: IncomingMessage, res: ServerResponse, error: unknown, url: string, startedAt: number, settings: EdgeOrgSettings, orgId: string | undefined): void {
    countDecision('error', 'internal');
    const callerUrl = isAuthPath(url) ? originalUrlOf(req, url) : url;
    const { given } = requestIdOf(req, callerUrl, settings);
    const valid = given !== undefined && isValidRequestId(given);
    const context = new EdgeRequestContext(valid ? given : undefined, orgId);
    this.deps.logger.error(
      { requestId: context.requestId, ...(orgId ? { orgId } : {}), err: error, method: req.method, path: pathOf(callerUrl), durationMs: elapsed(startedAt) },
      'edge request failed',
    );
    sendEdgeError(res, EdgeErrors.internal, valid ? [settings.requestIdHeader, given] : [], true);
  }

  private accessLog(
    context: RequestContext,
    method: string | undefined,
    path: string,
    status: number,
    startedAt: number,
    verdict: Verdict,
    auth: boolean,
    problem?: string,
  ): void {
    if (problem === 'bad-request-id') countDecision('bad-request-id', 'bad-request-id');
    else if (verdict.outcome === 'refused') countDecision('refused', verdict.reason);
    else if (verdict.outcome === 'unavailable') countDecision('unavailable', verdict.cause);
    else countDecision('accepted', String(status));
    // Every refusal and every failure is logged; a request let through only with the access log on
    // (a JSON line is a sizeable share of a bare proxy's work per request).
    const edgeAnswered = verdict.outcome !== 'accepted' || problem !== undefined;
    if (!this.deps.accessLog && !edgeAnswered) return;
    const fields = {
      requestId: context.requestId,
      ...(context.orgId ? { orgId: context.orgId } : {}),
      method,
      path,
      status,
      durationMs: elapsed(startedAt),
      ...(auth ? { forwardAuth: true } : {}),
      ...(verdict.outcome === 'accepted' ? { keyId: verdict.secret.keyId } : {}),
      ...(verdict.outcome === 'refused' ? { refusal: verdict.reason } : {}),
      ...(problem ? { problem } : {}),
    };
    if (status >= 500) this.deps.logger.warn(fields, 'edge request');
    else this.deps.logger.info(fields, 'edge request');
  }

  private internal(req: IncomingMessage, res: ServerResponse, url: string): void {
    const path = pathOf(url);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      this.refuse(res, req, EdgeErrors.methodNotAllowed(INTERNAL_METHODS), [], () => countDecision('method-not-allowed', 'internal'));
      return;
    }
    const json = (status: number, body: object): void => {
      const payload = JSON.stringify(body);
      res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(payload) });
      res.end(payload);
    };
    if (path === '/_keywarden/health' || path === '/_keywarden/health/live') return json(200, { status: 'up' });
    if (path === '/_keywarden/health/ready') {
      const checks = this.deps.readiness ?? (() => []);
      void checkReadiness(() => [{ name: 'keyCache', check: this.deps.ping }, ...checks()]).then((report) => json(report.status === 'up' ? 200 : 503, report));
      return;
    }
    if (path === '/_keywarden/metrics') {
      void metricsText().then(({ contentType, body }) => res.writeHead(200, { 'Content-Type': contentType }).end(body));
      return;
    }
    if (path === '/_keywarden/ready') {
      this.deps.ping().then(
        () => json(200, { status: 'up', keyCache: 'up' }),
        (error: unknown) =>
          json(503, {
            statusCode: 503,
            error: 'Service Unavailable',
            message: error instanceof KeyCacheIncompleteError ? 'the active-key cache is being rebuilt (its completeness marker is missing)' : 'the active-key cache (Redis) does not answer',
            keyCache: error instanceof KeyCacheIncompleteError ? 'rebuilding' : 'down',
          }),
      );
      return;
    }
    json(404, { statusCode: 404, error: 'Not Found', message: `no such gateway endpoint: ${path} (the edge's own endpoints are /_keywarden/health/live, /_keywarden/health/ready and /_keywarden/metrics)` });
  }
}

/**
 * The request context of one edge request. A caller that sent no request id gets a generated one,
 * made only when a log line needs it: most requests let through write none.
 */
class EdgeRequestContext implements RequestContext {
  private id: string | undefined;
  fromCaller: boolean;

  constructor(
    given: string | undefined,
    readonly orgId: string | undefined,
  ) {
    this.id = given;
    this.fromCaller = given !== undefined;
  }

  get requestId(): string {
    return (this.id ??= randomUUID());
  }

  /** Drops a malformed id the caller sent, for a generated one. */
  forget(): void {
    this.id = undefined;
    this.fromCaller = false;
  }
}

/**
 * What Node's parser refuses before a request exists (a head over 16 KiB, bytes outside the
 * grammar, a client too slow), answered like every other refusal: JSON with a stable code.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  const writable = socket.writable && !(socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
  if (error.code === 'ECONNRESET' || !writable) {
    socket.destroy();
    return;
  }
  const [status, reason, code, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'HEADERS_TOO_LARGE', 'the request line and headers exceed 16 KiB']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'REQUEST_TIMEOUT', 'the request was not received in time']
        : [400, 'Bad Request', 'MALFORMED_REQUEST', 'the request is not well-formed HTTP/1.1 (request line, header syntax or framing)'];
  const body = JSON.stringify({ statusCode: status, error: reason, message, details: { code } });
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

const elapsed = (startedAt: number): number => Math.round((performance.now() - startedAt) * 1000) / 1000;
