import http, { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import { EdgeErrors, sendEdgeError, sendEdgeErrorThenClose } from './edge-responses';
import { ForwardingHeaders } from './forwarding-headers';
import { downstreamResponseHeaders, upstreamRequestHeaders } from './hop-by-hop';
import { isJsonMediaType, rewriteJsonDateTimes } from './utc-date-time.rewriter';

export type UpstreamProxyOptions = Readonly<{
  upstreamUrl: string;
  /** The upstream may stay silent this long (no response, or no data) before 504. */
  timeoutMs: number;
  maxSockets: number;
  keepAuthorization: boolean;
  /** JSON bodies above this pass through without the date-time rewrite. */
  rewriteMaxBytes: number;
  /** Peers whose X-Forwarded-For/Host/Proto and Via are extended rather than replaced (addresses, CIDRs); none by default. */
  trustedProxies?: readonly string[];
}>;

export type ForwardOptions = Readonly<{
  /** Added to the upstream request, after the caller's (filtered) headers: identity, request id. */
  upstreamHeaders: readonly string[];
  /** Added to the response to the caller: the echoed request id. */
  responseHeaders: readonly string[];
  /** The organisation's media limit in bytes; null = none (the bare proxy of the benchmark). */
  bodyLimit: number | null;
  /** Rewrite date-times in JSON responses to ISO 8601 UTC with Z. */
  rewriteDateTimes: boolean;
  /** The caller sent `Expect: 100-continue`: the 100 goes out only once the request is let through. */
  expectsContinue: boolean;
  /** Called once, when the exchange ended: the status the caller got (0 = connection dropped). */
  onDone?: (status: number, problem?: string) => void;
}>;

type Timed = Error & { code?: string };

type Finish = (status: number, problem?: string) => void;

/** How the request body goes upstream. */
type BodyPlan =
  | Readonly<{ kind: 'none' }>
  | Readonly<{ kind: 'piped' }>
  /** A chunked body under a media limit: `head` was held back first, `ended` when it is the whole body. */
  | Readonly<{ kind: 'counted'; limit: number; head: readonly Buffer[]; received: number; ended: boolean }>;

const BODYLESS_STATUS = new Set([204, 304]);

/**
 * A chunked body under a media limit is held in memory up to this much before the upstream is
 * contacted at all: a body over the limit within it (every over-limit body, for limits up to this)
 * never reaches the upstream; a body that ends within it is sent whole, with its length.
 */
export const FIRST_BODY_WINDOW_BYTES = 64 * 1024;

/**
 * The reverse proxy on Node's http module, with no framework on the request path: one keep-alive
 * pool to the upstream, bodies streamed both ways, hop-by-hop fields dropped (RFC 9110 §7.6.1),
 * 502 when the upstream cannot be reached and 504 when it stays silent past the timeout, each with
 * the JSON error body.
 *
 * The media limit, and what the upstream sees of a body over it:
 * - declared length (Content-Length) over the limit: refused before the upstream is contacted;
 *   it sees nothing.
 * - chunked: the first FIRST_BODY_WINDOW_BYTES are held before the upstream is contacted, so a
 *   body that passes the limit within them never reaches it (for limits up to 64 KiB, none does).
 *   Past the window the body streams, counted; once it passes the limit the upstream request is
 *   aborted before its terminating chunk, so the upstream may have seen the start of it but never
 *   receives a complete over-limit request.
 * Either way the caller gets the whole 413 JSON body naming the limit (sendEdgeErrorThenClose:
 * the rest of its upload is read and dropped, within bounds, before the connection closes, so the
 * answer is not lost to a reset).
 */
const NO_BODY: BodyPlan = { kind: 'none' };
const PIPED: BodyPlan = { kind: 'piped' };

export class UpstreamProxy {
  private readonly agent: http.Agent;
  private readonly request: typeof http.request;
  private readonly forwarding: ForwardingHeaders;
  private readonly target: Readonly<{ protocol: string; hostname: string; port: number; basePath: string; host: string }>;

  constructor(private readonly options: UpstreamProxyOptions) {
    const url = new URL(options.upstreamUrl);
    const secure = url.protocol === 'https:';
    this.target = {
      protocol: url.protocol,
      hostname: url.hostname.replace(/^\[|\]$/g, ''),
      port: Number(url.port || (secure ? 443 : 80)),
      basePath: url.pathname.replace(/\/$/, ''),
      host: url.host,
    };
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets, maxFreeSockets: options.maxSockets, scheduling: 'lifo' as const };
    this.agent = secure ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    this.request = secure ? https.request : http.request;
    this.forwarding = new ForwardingHeaders(options.trustedProxies ?? []);
  }

  forward(req: IncomingMessage, res: ServerResponse, options: ForwardOptions): void {
    const declared = req.headers['content-length'];
    const chunked = req.headers['transfer-encoding'] !== undefined;
    const hasBody = chunked || (declared !== undefined && declared !== '0');
    const limit = options.bodyLimit;
    if (limit !== null && declared !== undefined && Number(declared) > limit) {
      // Refused on the declared length: the upstream is never contacted. With 100-continue the
      // client has not sent the body (and will not); otherwise it is dropped as it comes.
      sendEdgeErrorThenClose(req, res, EdgeErrors.payloadTooLarge(limit), options.responseHeaders, !options.expectsContinue);
      options.onDone?.(413, 'media-limit');
      return;
    }
    let done = false;
    const finish: Finish = (status, problem) => {
      if (done) return;
      done = true;
      options.onDone?.(status, problem);
    };
    if (options.expectsContinue) res.writeContinue();
    if (chunked && limit !== null) {
      this.holdFirstWindow(req, res, options, limit, finish);
      return;
    }
    this.send(req, res, options, hasBody ? PIPED : NO_BODY, false, finish);
  }

  close(): void {
    this.agent.destroy();
  }

  /**
   * Reads a chunked body up to FIRST_BODY_WINDOW_BYTES before anything goes upstream: over the
   * limit within it → 413 and the upstream never contacted; ended within it → sent whole; more
   * than that → the upstream request starts with what was held and the rest streams, counted.
   */
  private holdFirstWindow(req: IncomingMessage, res: ServerResponse, options: ForwardOptions, limit: number, finish: Finish): void {
    const head: Buffer[] = [];
    let received = 0;
    const stop = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      res.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > limit) {
        stop();
        sendEdgeErrorThenClose(req, res, EdgeErrors.payloadTooLarge(limit), options.responseHeaders);
        finish(413, 'media-limit');
        return;
      }
      head.push(chunk);
      if (received > FIRST_BODY_WINDOW_BYTES) {
        req.pause();
        stop();
        this.send(req, res, options, { kind: 'counted', limit, head, received, ended: false }, false, finish);
      }
    };
    const onEnd = (): void => {
      stop();
      this.send(req, res, options, { kind: 'counted', limit, head, received, ended: true }, false, finish);
    };
    const onClose = (): void => {
      stop();
      finish(0, 'client-closed');
    };
    req.on('data', onData);
    req.on('end', onEnd);
    res.on('close', onClose);
  }

  private send(req: IncomingMessage, res: ServerResponse, options: ForwardOptions, body: BodyPlan, isRetry: boolean, finish: Finish): void {
    const hasBody = body.kind !== 'none';
    const headers = upstreamRequestHeaders(req.rawHeaders, { keepAuthorization: this.options.keepAuthorization });
    headers.push(
      'Host',
      this.target.host,
      ...this.forwarding.for(req),
      ...options.upstreamHeaders,
    );
    // A whole body held in memory goes with its length; a counted one is explicitly chunked
    // (the caller's Transfer-Encoding, hop-by-hop, was dropped).
    if (body.kind === 'counted') headers.push(...(body.ended ? ['Content-Length', String(body.received)] : ['Transfer-Encoding', 'chunked']));
    let timedOut = false;
    /** The 413 went out: the upstream request was aborted on purpose, and its error is no news. */
    let refused = false;

    const upstream = this.request(
      {
        hostname: this.target.hostname,
        port: this.target.port,
        method: req.method,
        path: this.target.basePath + req.url,
        headers,
        agent: this.agent,
        timeout: this.options.timeoutMs,
      },
      (response) => this.relayResponse(req, response, res, options, finish),
    );
    upstream.on('timeout', () => {
      timedOut = true;
      upstream.destroy();
    });
    upstream.on('error', (error: Timed) => {
      if (refused) return;
      // A pooled connection the upstream closed while idle: a request without a body is safe to send again.
      if (!isRetry && !hasBody && upstream.reusedSocket && error.code === 'ECONNRESET' && !res.headersSent && !timedOut) {
        this.send(req, res, options, body, true, finish);
        return;
      }
      if (res.headersSent) {
        res.destroy();
        finish(0, timedOut ? 'upstream-timeout' : 'upstream-error');
        return;
      }
      const err = timedOut ? EdgeErrors.upstreamTimeout(this.options.timeoutMs) : EdgeErrors.upstreamUnreachable;
      sendEdgeError(res, err, options.responseHeaders, hasBody && !req.complete);
      finish(err.status, timedOut ? 'upstream-timeout' : `upstream-error ${error.code ?? error.message}`);
    });
    // The caller went away: stop the upstream exchange too.
    res.on('close', () => {
      if (!res.writableFinished) {
        upstream.destroy();
        finish(0, 'client-closed');
      }
    });

    if (body.kind === 'none') {
      upstream.end();
    } else if (body.kind === 'piped') {
      req.pipe(upstream);
    } else if (body.ended) {
      upstream.end(Buffer.concat(body.head as Buffer[], body.received));
    } else {
      this.streamCounted(req, upstream, body, () => {
        refused = true;
        upstream.destroy();
        sendEdgeErrorThenClose(req, res, EdgeErrors.payloadTooLarge(body.limit), options.responseHeaders);
        finish(413, 'media-limit');
      });
    }
  }

  /**
   * The rest of a chunked body past the first window, counted as it streams after what was held.
   * Past the limit `tooLarge` aborts the upstream request before its terminating chunk, so the
   * upstream never receives a complete request, and answers the caller 413.
   */
  private streamCounted(req: IncomingMessage, upstream: http.ClientRequest, body: Extract<BodyPlan, { kind: 'counted' }>, tooLarge: () => void): void {
    let received = body.received;
    let flowing = true;
    for (const chunk of body.head) flowing = upstream.write(chunk);
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > body.limit) {
        req.off('data', onData);
        tooLarge();
        return;
      }
      if (!upstream.write(chunk)) req.pause();
    };
    req.on('data', onData);
    upstream.on('drain', () => req.resume());
    req.on('end', () => {
      if (received <= body.limit) upstream.end();
    });
    if (flowing) req.resume();
  }

  private relayResponse(
    req: IncomingMessage,
    response: IncomingMessage,
    res: ServerResponse,
    options: ForwardOptions,
    finish: Finish,
  ): void {
    const status = response.statusCode ?? 502;
    response.on('end', () => finish(status));
    response.on('error', () => {
      res.destroy();
      finish(0, 'upstream-aborted');
    });
    const rewrite =
      options.rewriteDateTimes &&
      req.method !== 'HEAD' &&
      !BODYLESS_STATUS.has(status) &&
      isJsonMediaType(response.headers['content-type']) &&
      (response.headers['content-encoding'] === undefined || response.headers['content-encoding'] === 'identity') &&
      !(Number(response.headers['content-length'] ?? 0) > this.options.rewriteMaxBytes);
    if (rewrite) {
      this.relayRewritten(response, res, status, options);
      return;
    }
    const headers = downstreamResponseHeaders(response.rawHeaders);
    for (const h of options.responseHeaders) headers.push(h);
    res.writeHead(status, response.statusMessage, headers);
    response.pipe(res);
  }

  /** Buffers a JSON body up to the rewrite limit; a larger one passes through unchanged. */
  private relayRewritten(response: IncomingMessage, res: ServerResponse, status: number, options: ForwardOptions): void {
    const chunks: Buffer[] = [];
    let size = 0;
    const passThrough = (): void => {
      response.off('data', onData);
      response.off('end', onEnd);
      const headers = downstreamResponseHeaders(response.rawHeaders).concat(options.responseHeaders);
      res.writeHead(status, response.statusMessage, headers);
      for (const chunk of chunks) res.write(chunk);
      response.pipe(res);
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      size += chunk.length;
      if (size > this.options.rewriteMaxBytes) passThrough();
    };
    const onEnd = (): void => {
      const original = Buffer.concat(chunks, size);
      const body = rewriteJsonDateTimes(original) ?? original;
      const headers: string[] = [];
      const raw = downstreamResponseHeaders(response.rawHeaders);
      for (let i = 0; i < raw.length; i += 2) {
        const lower = raw[i].toLowerCase();
        // The representation changed: its length and validators no longer describe it.
        if (body !== original && (lower === 'content-length' || lower === 'etag' || lower === 'content-md5')) continue;
        headers.push(raw[i], raw[i + 1]);
      }
      if (body !== original || response.headers['content-length'] === undefined) headers.push('Content-Length', String(body.length));
      res.writeHead(status, response.statusMessage, headers.concat(options.responseHeaders));
      res.end(body);
    };
    response.on('data', onData);
    response.on('end', onEnd);
  }
}
