// Sends hostile requests over real sockets and tallies the answers: the admin services' and the
// edge's hostile-input suites print their counts the same way.
import http from 'node:http';
import net from 'node:net';
import { unsafeUniformIntDistribution, xoroshiro128plus } from 'pure-rand';

/** A seeded PRNG (pure-rand's xoroshiro128+), as floats in [0, 1): the same seed replays the same requests. */
export function seededRandom(seed: number): () => number {
  const generator = xoroshiro128plus(seed);
  return () => unsafeUniformIntDistribution(0, 0xffffffff, generator) / 4294967296;
}

/** The seed of this run: HOSTILE_SEED to replay one, else a fresh one (printed by the suite). */
export const hostileSeed = (): number => {
  const given = process.env.HOSTILE_SEED;
  return given !== undefined && /^\d+$/.test(given) ? Number(given) : Math.floor(Math.random() * 2 ** 31);
};

export type HostileRequest = Readonly<{
  method: string;
  /** The request-target exactly as sent (ASCII; percent-encoding as the case wants it). */
  path: string;
  headers?: Record<string, string>;
  body?: Buffer;
  /** Send the body with Transfer-Encoding: chunked, in pieces, instead of a Content-Length. */
  chunked?: boolean;
}>;

export type HostileAnswer = Readonly<{ status: number; body: string }>;

/** One request over a keep-alive agent; a connection the server closes after answering still counts its answer. */
export function sendHostile(baseUrl: string, agent: http.Agent | false, r: HostileRequest, retried = false): Promise<HostileAnswer> {
  const url = new URL(baseUrl);
  return new Promise((resolve) => {
    let answered: { status: number; chunks: Buffer[] } | undefined;
    const headers: Record<string, string> = { ...r.headers };
    if (r.body && !r.chunked && headers['Content-Length'] === undefined) headers['Content-Length'] = String(r.body.length);
    if (r.chunked) headers['Transfer-Encoding'] = 'chunked';
    const req = http.request({ host: url.hostname, port: url.port, method: r.method, path: r.path, headers, agent }, (res) => {
      answered = { status: res.statusCode ?? 0, chunks: [] };
      res.on('data', (c: Buffer) => answered!.chunks.push(c));
      res.on('end', () => resolve({ status: answered!.status, body: Buffer.concat(answered!.chunks).toString('utf8') }));
      res.on('error', () => resolve({ status: answered!.status, body: Buffer.concat(answered!.chunks).toString('utf8') }));
    });
    req.on('error', (error) => {
      if (answered) return resolve({ status: answered.status, body: '' });
      // A kept-alive connection the server closed as this request went out (after answering a
      // refused body it did not read): the request never arrived, so send it once more, afresh.
      if (req.reusedSocket && (error as NodeJS.ErrnoException).code === 'ECONNRESET' && !retried) return resolve(sendHostile(baseUrl, false, r, true));
      // No answer at all is a result too (status 0, reported with the case), not a crash of the run.
      resolve({ status: 0, body: `no answer: ${error.message}` });
    });
    if (!r.body) return void req.end();
    if (!r.chunked) return void req.end(r.body);
    const piece = Math.max(1, Math.ceil(r.body.length / 4));
    for (let at = 0; at < r.body.length; at += piece) req.write(r.body.subarray(at, at + piece));
    req.end();
  });
}

/** Raw bytes on a fresh connection (framing no HTTP client would send); the status of the first answer, 0 if none. */
export function sendRaw(baseUrl: string, bytes: Buffer, timeoutMs = 5_000): Promise<HostileAnswer> {
  const url = new URL(baseUrl);
  return new Promise((resolve) => {
    const socket = net.connect(Number(url.port), url.hostname);
    const chunks: Buffer[] = [];
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ status: status ? Number(status[1]) : 0, body: text.slice(text.indexOf('\r\n\r\n') + 4) });
    };
    const timer = setTimeout(done, timeoutMs);
    socket.on('connect', () => socket.end(bytes));
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      if (/\r\n\r\n/.test(Buffer.concat(chunks).toString('latin1'))) done();
    });
    socket.on('error', done);
    socket.on('close', done);
  });
}

export type RawAnswer = Readonly<{ status: number; headers: string; body: string }>;

/**
 * Raw bytes on a fresh connection, kept open until the whole first answer arrived (its
 * Content-Length, or the server closing): for suites that check the answer's body, not only its status.
 */
export function sendRawWhole(baseUrl: string, bytes: Buffer, timeoutMs = 5_000): Promise<RawAnswer> {
  const url = new URL(baseUrl);
  return new Promise((resolve) => {
    const socket = net.connect(Number(url.port), url.hostname);
    const chunks: Buffer[] = [];
    let finished = false;
    const done = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ status: status ? Number(status[1]) : 0, headers: end < 0 ? text : text.slice(0, end), body: end < 0 ? '' : text.slice(end + 4) });
    };
    const timer = setTimeout(done, timeoutMs);
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      const text = Buffer.concat(chunks).toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end));
      const bodyless = /^HTTP\/1\.[01] (1\d\d|204|304)/.test(text) || /^HEAD /.test(bytes.toString('latin1', 0, 5));
      if (bodyless || (length && Buffer.byteLength(text.slice(end + 4), 'latin1') >= Number(length[1]))) done();
    });
    socket.on('error', done);
    socket.on('close', done);
  });
}

/** Tallies answers by status; `line` is the suite's printed count. */
export class StatusTally {
  private readonly counts = new Map<number, number>();
  total = 0;

  add(status: number): void {
    this.total++;
    this.counts.set(status, (this.counts.get(status) ?? 0) + 1);
  }

  line(service: string): string {
    const byStatus = [...this.counts.entries()].sort(([a], [b]) => a - b).map(([status, n]) => `${status}: ${n}`);
    return `hostile-input: ${service} ${this.total} requests, ${byStatus.join(', ')}`;
  }
}

/** Runs `tasks` with at most `concurrency` in flight. */
export async function inPool<T>(tasks: readonly (() => Promise<T>)[], concurrency: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, tasks.length) }, async () => {
      while (next < tasks.length) {
        const i = next++;
        results[i] = await tasks[i]();
      }
    }),
  );
  return results;
}
