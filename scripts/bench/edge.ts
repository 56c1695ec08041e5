/**
 * `npm run bench:edge`: the edge gateway's benchmark (a script, not a test).
 *
 * Starts a minimal upstream, a private redis-server loaded with 100 000 active keys, the edge
 * (the real service, `dist/apps/edge-validator/src/main.js`), a bare proxy on the same HTTP stack
 * without auth (`UpstreamProxy` alone) and, where Debian's nginx is installed, nginx as a plain
 * reverse proxy; then measures each case with wrk (or autocannon when wrk is missing) and prints
 * req/s and p50/p99 in microseconds, the ratios to the baselines, and the edge's memory.
 *
 * On a 2-core machine the server under test gets CPU 0 to itself and everything else (load
 * generator, upstream, Redis, this script) shares CPU 1, so the server under test is the
 * bottleneck; the server's own CPU use during each run is printed to show it.
 *
 * Options: --quick (short runs), --duration <s>, --repeat <n>, --only a,b,c (some cases), --cpu-prof
 * (write V8 CPU profiles), --edge-env NAME=value (extra edge configuration, repeatable), --edge-node-args
 * "<node options>", --keep (keep the temporary folder with the edges' logs).
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Redis from 'ioredis';
import { DAY_MS } from '@keywarden/clock';
import { generateApiKey, KeyFingerprinter, loadOrCreateLocalKeyMaterial, SecretMinter } from '@keywarden/crypto';
import { CachedKey, OrgSnapshot, RedisActiveKeyCache } from '@keywarden/key-cache';
import { UpstreamProxy } from '../../apps/edge-validator/src/proxy/upstream-proxy';

const ROOT = resolve(__dirname, '..', '..', '..');
const argv = process.argv.slice(2);
const flag = (name: string): boolean => argv.includes(name);
const option = (name: string): string | undefined => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};

const ACTIVE_KEYS = 100_000;
const HOT_KEYS = 1_000;
const CONNECTIONS = 64;
const QUICK = flag('--quick');
const RUN_SECONDS = Number(option('--duration') ?? (QUICK ? 3 : 6));
const LATENCY_SECONDS = QUICK ? 2 : 4;
const WARMUP_SECONDS = QUICK ? 1 : 2;
/** Each case is run this many times and its best run kept: other load on a shared machine only ever slows a run down. */
const REPEAT = Number(option('--repeat') ?? (QUICK ? 1 : 3));

// ---------------------------------------------------------------------------------------------
// Child roles: the upstream and the bare proxy run as their own processes, started by main().

function runUpstream(port: number): void {
  const body = Buffer.from('{"ok":true}');
  http
    .createServer({ keepAliveTimeout: 65_000 }, (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length });
      res.end(body);
    })
    .listen(port, '127.0.0.1');
}

function runBareProxy(port: number, upstreamUrl: string): void {
  const proxy = new UpstreamProxy({ upstreamUrl, timeoutMs: 30_000, maxSockets: 256, keepAuthorization: false, rewriteMaxBytes: 1 << 20 });
  const forward = { upstreamHeaders: [], responseHeaders: [], bodyLimit: null, rewriteDateTimes: false, expectsContinue: false };
  http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => proxy.forward(req, res, forward)).listen(port, '127.0.0.1');
}

// ---------------------------------------------------------------------------------------------
// Helpers

const log = (line: string): void => void process.stderr.write(`${line}\n`);
const has = (command: string): boolean => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolvePort(port));
    });
  });
}

const PINNING = has('taskset') && cpus().length >= 2;
const SERVER_CPU = '0';
const CLIENT_CPU = '1';

/** Spawns a command pinned to one CPU when taskset is there. */
function spawnPinned(cpu: string, command: string, args: string[], options: Parameters<typeof spawn>[2] = {}): ChildProcess {
  return PINNING ? spawn('taskset', ['-c', cpu, command, ...args], options) : spawn(command, args, options);
}

function pin(pid: number, cpu: string): void {
  if (PINNING) spawnSync('taskset', ['-pc', cpu, String(pid)], { stdio: 'ignore' });
}

/** utime + stime of a process, in seconds (Linux /proc). */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

function memory(pid: number): { rssMiB: number; peakMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMiB: kib('VmRSS') / 1024, peakMiB: kib('VmHWM') / 1024 };
}

async function waitUntil(description: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${description}`);
}

function get(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolveStatus, reject) => {
    const req = http.get(url, { headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolveStatus(res.statusCode ?? 0));
    });
    req.on('error', reject);
  });
}

// ---------------------------------------------------------------------------------------------
// Load generation

type RunResult = { rps: number; p50: number; p99: number; requests: number; non2xx: number; errors: number; serverCpu: number };

/** Static requests (no token): wrk builds one request and repeats it; the script only reports. */
const WRK_REPORT = `
function done(summary, latency, requests)
  io.write(string.format('WRK_RESULT {"requests":%d,"duration_us":%d,"non2xx":%d,"errors":%d,"p50":%d,"p99":%d}\\n',
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
`;

/** One bearer token per request, in turn from a file, starting at a given line (so no run repeats another's tokens). */
const WRK_TOKENS = `
local tokens = {}
local n = 0
local i = 0
local path = "/"
function init(args)
  path = args[1]
  for line in io.lines(args[2]) do n = n + 1; tokens[n] = "Bearer " .. line end
  i = tonumber(args[3]) % n
end
function request()
  i = i + 1
  if i > n then i = 1 end
  return wrk.format("GET", path, { ["Authorization"] = tokens[i] })
end
` + WRK_REPORT;

class LoadGenerator {
  readonly tool = has('wrk') ? 'wrk' : 'autocannon';
  private readonly reportScript: string;
  private readonly tokensScript: string;

  constructor(dir: string) {
    this.reportScript = join(dir, 'report.lua');
    this.tokensScript = join(dir, 'tokens.lua');
    writeFileSync(this.reportScript, WRK_REPORT);
    writeFileSync(this.tokensScript, WRK_TOKENS);
  }

  /** `firstToken`: the line of the tokens file to start at. */
  async run(url: string, path: string, tokensFile: string | null, connections: number, seconds: number, serverPid: number, firstToken = 0): Promise<RunResult> {
    const cpuBefore = cpuSeconds(serverPid);
    const started = process.hrtime.bigint();
    const result =
      this.tool === 'wrk'
        ? await this.wrk(url, path, tokensFile, connections, seconds, firstToken)
        : await this.autocannon(url, path, tokensFile, connections, seconds, firstToken);
    const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    return { ...result, serverCpu: (cpuSeconds(serverPid) - cpuBefore) / wallSeconds };
  }

  private wrk(url: string, path: string, tokensFile: string | null, connections: number, seconds: number, firstToken: number): Promise<Omit<RunResult, 'serverCpu'>> {
    const common = ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '10s'];
    const args = tokensFile ? [...common, '-s', this.tokensScript, url, '--', path, tokensFile, String(firstToken)] : [...common, '-s', this.reportScript, url + path];
    return new Promise((resolveRun, reject) => {
      const child = spawnPinned(CLIENT_CPU, 'wrk', args, { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
      child.on('exit', (code) => {
        const line = /WRK_RESULT (\{.*\})/.exec(out)?.[1];
        if (code !== 0 || !line) return reject(new Error(`wrk failed (exit ${code}):\n${out}`));
        const r = JSON.parse(line) as { requests: number; duration_us: number; non2xx: number; errors: number; p50: number; p99: number };
        resolveRun({ rps: r.requests / (r.duration_us / 1e6), p50: r.p50, p99: r.p99, requests: r.requests, non2xx: r.non2xx, errors: r.errors });
      });
    });
  }

  /** Fallback without wrk: autocannon in this process (pinned to the client CPU like wrk would be). */
  private async autocannon(
    url: string,
    path: string,
    tokensFile: string | null,
    connections: number,
    seconds: number,
    firstToken: number,
  ): Promise<Omit<RunResult, 'serverCpu'>> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const autocannon = require('autocannon') as (opts: object) => Promise<{
      requests: { total: number };
      duration: number;
      non2xx: number;
      errors: number;
      latency: { p50: number; p99: number };
    }>;
    const tokens = tokensFile ? readFileSync(tokensFile, 'utf8').trim().split('\n') : [];
    let i = firstToken;
    const result = await autocannon({
      url: url + path,
      connections,
      duration: seconds,
      requests: [
        {
          setupRequest: (req: { headers?: Record<string, string> }) => {
            if (tokens.length === 0) return req;
            i = (i + 1) % tokens.length;
            return { ...req, headers: { ...req.headers, authorization: `Bearer ${tokens[i]}` } };
          },
        },
      ],
    });
    // autocannon reports latency in milliseconds.
    return {
      rps: result.requests.total / result.duration,
      p50: result.latency.p50 * 1000,
      p99: result.latency.p99 * 1000,
      requests: result.requests.total,
      non2xx: result.non2xx,
      errors: result.errors,
    };
  }
}

// ---------------------------------------------------------------------------------------------
// The benchmark

/** The server's CPU time per request in µs: what contention from other processes changes least. */
const cpuPerRequest = (r: RunResult): number => (r.serverCpu / r.rps) * 1e6;

type Case = Readonly<{ id: string; label: string; url: string; path: string; tokens: string | null; pid: number; expect: '2xx' | '401' }>;
type Measured = Case & Readonly<{ loaded: RunResult; single: RunResult; rounds: RunResult[] }>;

async function main(): Promise<void> {
  if (!has('redis-server')) throw new Error('redis-server is required: apt-get install -y redis-server');
  const dir = mkdtempSync(join(tmpdir(), 'keywarden-bench-'));
  const children: ChildProcess[] = [];
  const stopAll = async () => {
    for (const child of children.reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(5000)]);
    }
  };
  process.on('SIGINT', () => void stopAll().then(() => process.exit(130)));
  pin(process.pid, CLIENT_CPU);
  const load = new LoadGenerator(dir);
  const loadAtStart = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

  try {
    // Key material and 100 000 active keys, written to Redis the way the projection writes them.
    const dataDir = join(dir, 'data');
    mkdirSync(dataDir);
    const material = loadOrCreateLocalKeyMaterial(dataDir);
    const fingerprinter = new KeyFingerprinter(material.pepper);
    const minter = new SecretMinter(material.signingKeys);

    const redisPort = await freePort();
    const redisChild = spawnPinned(CLIENT_CPU, 'redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    children.push(redisChild);
    const redisUrl = `redis://127.0.0.1:${redisPort}`;
    const redis = new Redis(redisUrl, { lazyConnect: true });
    redis.on('error', () => undefined); // the first attempts may come before redis-server listens
    await waitUntil('redis-server', async () => {
      await redis.connect().catch(() => undefined);
      return (await redis.ping()) === 'PONG';
    });
    const cache = new RedisActiveKeyCache(redis);

    const now = new Date();
    const acceptUntil = new Date(now.getTime() + 365 * DAY_MS);
    const secrets: string[] = [];
    const missSecrets: string[] = [];
    let batch: OrgSnapshot[] = [];
    log(`[bench] minting ${ACTIVE_KEYS} Secrets and loading their keys into Redis…`);
    for (let i = 0; i < ACTIVE_KEYS + HOT_KEYS; i++) {
      const orgId = `bench-org-${i}`;
      const keyId = `key_bench_${i}`;
      const { key } = generateApiKey();
      const secret = await minter.mint({ apiKey: key, orgId, keyId, acceptUntil, now });
      if (i >= ACTIVE_KEYS) {
        // Validly signed Secrets of keys that are not in the master list: the "miss" side.
        missSecrets.push(secret);
        continue;
      }
      secrets.push(secret);
      const cached: CachedKey = { orgId, keyId, fingerprint: fingerprinter.fingerprint(key), status: 'active', acceptUntil: acceptUntil.getTime() };
      batch.push({ orgId, revision: 0, keys: [cached] });
      if (batch.length === 2000) {
        await cache.restoreOrgs(batch);
        batch = [];
        process.stderr.write(`\r[bench] ${i + 1} keys`);
      }
    }
    if (batch.length) await cache.restoreOrgs(batch);
    process.stderr.write('\n');
    redis.disconnect();

    const flip = (secret: string): string => {
      const [h, p, s] = secret.split('.');
      const signature = Buffer.from(s, 'base64url');
      signature[5] ^= 0x01;
      return `${h}.${p}.${signature.toString('base64url')}`;
    };
    const hot = secrets.slice(0, HOT_KEYS);
    const garbage = hot.map((secret, i) => {
      const [h, p] = secret.split('.');
      switch (i % 5) {
        case 0:
          return flip(secret); // forged signature under a published kid
        case 1:
          return `${h}.${p}`; // malformed: two parts
        case 2:
          return `${h}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), client_secret: 'xx_wrongprefix' })).toString('base64url')}.${secret.split('.')[2]}`;
        case 3:
          return secret.replace(/^[^.]+/, Buffer.from(JSON.stringify({ alg: 'EdDSA', kid: 'kid-nobody-published', typ: 'JWT' })).toString('base64url'));
        default:
          return 'not-a-secret-at-all';
      }
    });
    const file = (name: string, lines: string[]) => {
      const path = join(dir, name);
      writeFileSync(path, `${lines.join('\n')}\n`);
      return path;
    };
    const files = {
      hot: file('hot.txt', hot),
      cold: file('cold.txt', secrets),
      garbage: file('garbage.txt', garbage),
      freshForgeries: file('fresh-forgeries.txt', secrets.map(flip)),
      miss: file('miss.txt', missSecrets),
    };

    // The servers.
    const script = join(ROOT, 'dist', 'scripts', 'bench', 'edge.js');
    const upstreamPort = await freePort();
    const upstream = spawnPinned(CLIENT_CPU, process.execPath, [script, '--role', 'upstream', '--port', String(upstreamPort)], { stdio: 'inherit' });
    children.push(upstream);
    const upstreamUrl = `http://127.0.0.1:${upstreamPort}`;

    const bareProxyPort = await freePort();
    const profileDir = join(ROOT, '.tmp', 'cpu-profiles');
    const profile = (name: string) => (flag('--cpu-prof') ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${name}.cpuprofile`] : []);
    const bareProxy = spawnPinned(SERVER_CPU, process.execPath, [...profile('bare-proxy'), script, '--role', 'bare-proxy', '--port', String(bareProxyPort), '--upstream', upstreamUrl], {
      stdio: 'inherit',
    });
    children.push(bareProxy);

    const startEdge = async (name: string, extraEnv: Record<string, string>): Promise<{ pid: number; url: string }> => {
      const port = await freePort();
      const out = openSync(join(dir, `${name}.log`), 'a');
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        KEYWARDEN_DATA_DIR: dataDir,
        REDIS_URL: redisUrl,
        EDGE_PORT: String(port),
        EDGE_UPSTREAM_URL: upstreamUrl,
        LOG_LEVEL: 'info',
        REGISTRY_PORT: '0',
        SETTINGS_PORT: '0',
        ...extraEnv,
      };
      for (let i = argv.indexOf('--edge-env'); i >= 0; i = argv.indexOf('--edge-env', i + 1)) {
        const [variable, ...value] = argv[i + 1].split('=');
        env[variable] = value.join('=');
      }
      for (const variable of ['KAFKA_BROKERS', 'KEYWARDEN_NAMESPACE', 'EVENTSTORE_CONNECTION_STRING', 'KEYWARDEN_PEPPER', 'KEYWARDEN_KEK', 'KEYWARDEN_SIGNING_KEYS']) delete env[variable];
      const nodeArgs = [...profile(name), ...(option('--edge-node-args')?.split(' ').filter(Boolean) ?? [])];
      const child = spawnPinned(SERVER_CPU, process.execPath, [...nodeArgs, join(ROOT, 'dist', 'apps', 'edge-validator', 'src', 'main.js')], {
        cwd: ROOT,
        env,
        stdio: ['ignore', out, out],
      });
      closeSync(out);
      children.push(child);
      const url = `http://127.0.0.1:${port}`;
      await waitUntil(name, async () => (await get(`${url}/_keywarden/health/ready`)) === 200, 60_000);
      return { pid: child.pid!, url };
    };

    let nginx: { pid: number; url: string } | null = null;
    const nginxBinary = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));
    if (nginxBinary) {
      const nginxPort = await freePort();
      const prefix = join(dir, 'nginx');
      mkdirSync(prefix);
      writeFileSync(
        join(prefix, 'nginx.conf'),
        [
          ...(process.getuid?.() === 0 ? ['user root;'] : []),
          'daemon off;',
          'master_process off;',
          'worker_processes 1;',
          `pid ${join(prefix, 'nginx.pid')};`,
          `error_log ${join(prefix, 'error.log')} warn;`,
          'events { worker_connections 1024; }',
          'http {',
          '  access_log off;',
          ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((d) => `  ${d}_temp_path ${join(prefix, d)};`),
          `  upstream api { server 127.0.0.1:${upstreamPort}; keepalive 256; }`,
          `  server { listen 127.0.0.1:${nginxPort}; location / { proxy_pass http://api; proxy_http_version 1.1; proxy_set_header Connection ""; } }`,
          '}',
        ].join('\n'),
      );
      const child = spawnPinned(SERVER_CPU, nginxBinary, ['-p', prefix, '-c', join(prefix, 'nginx.conf')], { stdio: 'inherit' });
      children.push(child);
      nginx = { pid: child.pid!, url: `http://127.0.0.1:${nginxPort}` };
    }

    await waitUntil('the upstream', async () => (await get(upstreamUrl)) === 200);
    await waitUntil('the bare proxy', async () => (await get(`http://127.0.0.1:${bareProxyPort}/`)) === 200);
    const edge = await startEdge('edge', {});
    // The same edge with a JSON access line for every request let through (EDGE_ACCESS_LOG=true).
    const loggingEdge = await startEdge('edge-access-log', { EDGE_ACCESS_LOG: 'true' });
    const edgeUrl = edge.url;
    if (nginx) await waitUntil('nginx', async () => (await get(nginx!.url)) === 200);

    // Sanity: each case answers what it should before it is timed.
    const firstLine = (path: string) => readFileSync(path, 'utf8').split('\n')[0];
    const expectStatus = async (what: string, url: string, token: string | null, status: number) => {
      const got = await get(url, token ? { Authorization: `Bearer ${token}` } : {});
      if (got !== status) throw new Error(`${what}: expected ${status}, got ${got}`);
    };
    await expectStatus('a valid Secret through the edge', `${edgeUrl}/v1/bench`, firstLine(files.hot), 200);
    await expectStatus('forward-auth with a valid Secret', `${edgeUrl}/auth`, firstLine(files.hot), 204);
    await expectStatus('a forged Secret', `${edgeUrl}/v1/bench`, firstLine(files.garbage), 401);
    await expectStatus('a Secret of a key not in the master list', `${edgeUrl}/auth`, firstLine(files.miss), 401);

    const upstreamPid = upstream.pid!;
    const edgePid = edge.pid;
    const bareProxyUrl = `http://127.0.0.1:${bareProxyPort}`;
    const cases: Case[] = [
      { id: 'a', label: 'upstream direct', url: upstreamUrl, path: '/v1/bench', tokens: null, pid: upstreamPid, expect: '2xx' },
      { id: 'b', label: 'bare proxy, same HTTP stack, no auth', url: bareProxyUrl, path: '/v1/bench', tokens: null, pid: bareProxy.pid!, expect: '2xx' },
      { id: 'c', label: `edge, Secrets of ${HOT_KEYS} keys reused`, url: edgeUrl, path: '/v1/bench', tokens: files.hot, pid: edgePid, expect: '2xx' },
      { id: 'c+log', label: 'the same with EDGE_ACCESS_LOG=true', url: loggingEdge.url, path: '/v1/bench', tokens: files.hot, pid: loggingEdge.pid, expect: '2xx' },
      { id: "c'", label: `edge, cold: a new key of ${ACTIVE_KEYS} each request`, url: edgeUrl, path: '/v1/bench', tokens: files.cold, pid: edgePid, expect: '2xx' },
      { id: 'd', label: 'edge, forged and malformed tokens (reused)', url: edgeUrl, path: '/v1/bench', tokens: files.garbage, pid: edgePid, expect: '401' },
      { id: "d'", label: 'edge, a fresh forgery each request', url: edgeUrl, path: '/v1/bench', tokens: files.freshForgeries, pid: edgePid, expect: '401' },
      { id: 'e', label: 'edge GET /auth, valid (key hit)', url: edgeUrl, path: '/auth', tokens: files.hot, pid: edgePid, expect: '2xx' },
      { id: 'e-miss', label: 'edge GET /auth, signed Secret of an absent key', url: edgeUrl, path: '/auth', tokens: files.miss, pid: edgePid, expect: '401' },
      ...(nginx ? [{ id: 'f', label: 'nginx plain reverse proxy', url: nginx.url, path: '/v1/bench', tokens: null, pid: nginx.pid, expect: '2xx' as const }] : []),
    ];

    log(`[bench] ${load.tool}, ${CONNECTIONS} connections for ${RUN_SECONDS} s per case (after ${WARMUP_SECONDS} s warm-up), then 1 connection for ${LATENCY_SECONDS} s`);
    const only = option('--only')?.split(',');
    const selected = cases.filter((x) => !only || only.includes(x.id));
    // Where each tokens file was left: the cold cases must never send a token twice.
    const cursor = new Map<string, number>();
    const isCold = (c: Case) => c.id === "c'" || c.id === "d'";
    const measure = async (c: Case, connections: number, seconds: number): Promise<RunResult> => {
      // The upstream is a server under test only in (a): it gets the server CPU for that case.
      if (c.id === 'a') pin(upstreamPid, SERVER_CPU);
      const r = await load.run(c.url, c.path, c.tokens, connections, seconds, c.pid, c.tokens ? (cursor.get(c.tokens) ?? 0) : 0);
      if (c.id === 'a') pin(upstreamPid, CLIENT_CPU);
      if (isCold(c) && c.tokens) cursor.set(c.tokens, (cursor.get(c.tokens) ?? 0) + r.requests + connections);
      const wrong = c.expect === '2xx' ? r.non2xx : r.requests - r.non2xx;
      if (wrong > 0 || r.errors > 0) log(`[bench] warning: case ${c.id}: ${wrong} unexpected statuses, ${r.errors} socket errors`);
      return r;
    };
    for (const c of selected) if (!isCold(c)) await load.run(c.url, c.path, c.tokens, CONNECTIONS, WARMUP_SECONDS, c.pid);
    // Rounds interleave the cases, so slow spells of a shared machine fall on all of them alike.
    const rounds = new Map<string, { loaded: RunResult[]; single: RunResult[] }>(selected.map((c) => [c.id, { loaded: [], single: [] }]));
    for (let round = 0; round < REPEAT; round++) {
      for (const c of selected) {
        const loaded = await measure(c, CONNECTIONS, RUN_SECONDS);
        const single = await measure(c, 1, LATENCY_SECONDS);
        rounds.get(c.id)!.loaded.push(loaded);
        rounds.get(c.id)!.single.push(single);
        log(`[bench] ${c.id.padEnd(6)} round ${round + 1}: ${Math.round(loaded.rps)} req/s, ${Math.round(cpuPerRequest(loaded))} µs CPU per request, server CPU ${Math.round(loaded.serverCpu * 100)}%`);
      }
    }
    const best = (runs: RunResult[]) => runs.reduce((x, y) => (y.rps > x.rps ? y : x));
    const results: Measured[] = selected.map((c) => ({ ...c, loaded: best(rounds.get(c.id)!.loaded), single: best(rounds.get(c.id)!.single), rounds: rounds.get(c.id)!.loaded }));
    const mem = memory(edgePid);
    if (only) {
      for (const r of results) log(`${r.id}: ${Math.round(r.loaded.rps)} req/s, ${Math.round(cpuPerRequest(r.loaded))} µs CPU/request; 1 conn p50 ${r.single.p50} µs p99 ${r.single.p99} µs`);
    } else print(results, mem, load.tool, nginx !== null, loadAtStart);
    if (flag('--cpu-prof')) log(`[bench] CPU profiles of the edges and the bare proxy go to ${profileDir} when they stop`);
  } finally {
    await stopAll();
    if (flag('--keep')) log(`[bench] kept ${dir} (logs of the edges)`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

function print(results: Measured[], mem: { rssMiB: number; peakMiB: number }, tool: string, withNginx: boolean, loadAtStart: string): void {
  const by = (id: string) => results.find((r) => r.id === id)!;
  const n = (x: number, width = 7) => `${Math.round(x)}`.padStart(width);
  const lines: string[] = [
    '',
    'Keywarden edge benchmark',
    '',
    `                                                          ${CONNECTIONS} connections           |  1 connection    | server`,
    'case    what                                             req/s   p50 µs  p99 µs |  p50 µs  p99 µs | CPU   CPU µs/req',
    ...results.map(
      (r) =>
        `${r.id.padEnd(7)} ${r.label.padEnd(46)} ${n(r.loaded.rps, 7)} ${n(r.loaded.p50)} ${n(r.loaded.p99)} | ${n(r.single.p50)} ${n(r.single.p99)} | ${`${Math.round(r.loaded.serverCpu * 100)}%`.padStart(4)} ${n(cpuPerRequest(r.loaded), 6)}`,
    ),
    '',
  ];
  const [a, b, c, cLog, cold, d, e, miss] = ['a', 'b', 'c', 'c+log', "c'", 'd', 'e', 'e-miss'].map(by);
  const ratio = (x: number, y: number) => (x / y).toFixed(2);
  const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');
  // When a server is CPU-bound its throughput is 1 / (CPU per request): this ratio is what the
  // req/s ratio would be on an idle machine, and it moves far less with other load.
  const cpuRatio = (x: Measured, y: Measured) => cpuPerRequest(y.loaded) / cpuPerRequest(x.loaded);
  const goal = (name: string, measured: number, byCpu: number, min: number, rounds: string) =>
    `${name.padEnd(5)} = ${measured.toFixed(2)} best runs, ${rounds}, ${byCpu.toFixed(2)} by CPU per request   (goal >= ${min}: ${verdict(measured >= min)} / ${verdict(byCpu >= min)} by CPU)`;
  // Ratios of the same round (the cases of one round ran back to back): median and range.
  const paired = (x: Measured, y: Measured) => {
    const r = x.rounds.map((run, i) => run.rps / y.rounds[i].rps).sort((p, q) => p - q);
    return `round by round ${r[Math.floor(r.length / 2)].toFixed(2)} median (${r[0].toFixed(2)}..${r[r.length - 1].toFixed(2)})`;
  };
  const addedP99 = c.loaded.p99 - b.loaded.p99;
  const addedP99Single = c.single.p99 - b.single.p99;
  const hitMiss = Math.abs(miss.single.p50 - e.single.p50);
  lines.push(
    goal('c/b', c.loaded.rps / b.loaded.rps, cpuRatio(c, b), 0.95, paired(c, b)),
    goal("c'/b", cold.loaded.rps / b.loaded.rps, cpuRatio(cold, b), 0.4, paired(cold, b)),
    goal('d/c', d.loaded.rps / c.loaded.rps, cpuRatio(d, c), 1, paired(d, c)),
    `p99 added by c over b: ${Math.round(addedP99)} µs at ${CONNECTIONS} connections, ${Math.round(addedP99Single)} µs at 1 connection (goal <= 500 µs: ${verdict(addedP99 <= 500)} / ${verdict(addedP99Single <= 500)})`,
    `p50 added by c over b: ${Math.round(c.loaded.p50 - b.loaded.p50)} µs at ${CONNECTIONS} connections, ${Math.round(c.single.p50 - b.single.p50)} µs at 1 connection`,
    `hit vs miss (GET /auth, 1 connection): p50 ${Math.round(e.single.p50)} µs vs ${Math.round(miss.single.p50)} µs, difference ${Math.round(hitMiss)} µs (goal <= 50 µs: ${verdict(hitMiss <= 50)})`,
    `access log: c+log/c = ${ratio(cLog.loaded.rps, c.loaded.rps)} measured, ${cpuRatio(cLog, c).toFixed(2)} by CPU (${Math.round(cpuPerRequest(cLog.loaded) - cpuPerRequest(c.loaded))} µs CPU per request)`,
    `b/a   = ${ratio(b.loaded.rps, a.loaded.rps)}   (the bare Node proxy against the upstream alone)`,
    ...(withNginx ? [`f/b   = ${ratio(by('f').loaded.rps, b.loaded.rps)}   (nginx against the bare Node proxy)`] : []),
    `edge memory after the runs: RSS ${mem.rssMiB.toFixed(0)} MiB (peak ${mem.peakMiB.toFixed(0)} MiB), having seen ${ACTIVE_KEYS} keys (in-process caches: 100 000 key entries, 10 000 Secrets)`,
    '',
    'How it ran:',
    PINNING
      ? `- ${cpus().length} CPUs: the server under test alone on CPU ${SERVER_CPU}; the load generator, the upstream, redis-server and this script on CPU ${CLIENT_CPU} (taskset). In (a) the upstream itself is moved to CPU ${SERVER_CPU}.`
      : '- no CPU pinning (taskset missing or one CPU): figures include contention between the load generator and the servers',
    `- ${tool === 'wrk' ? 'wrk (1 thread; latencies recorded in µs by wrk)' : 'autocannon (latencies in ms, converted)'}: ${CONNECTIONS} keep-alive connections for ${RUN_SECONDS} s after a ${WARMUP_SECONDS} s warm-up (none for c' and d', which never send a token twice), then 1 connection for ${LATENCY_SECONDS} s; ${REPEAT} rounds, each running every case once in turn; the best run of each case is kept.`,
    `- load average when the benchmark started: ${loadAtStart}. Other processes on the machine take CPU time from the server under test and slow it down by varying amounts, so req/s and p99 vary between runs; "server CPU" below 100% means the server waited for something else (other load, or CPU ${CLIENT_CPU}), and CPU µs per request is the steadier figure.`,
    '- the edge is the real service (dist/apps/edge-validator) with its defaults: refusals logged, requests let through not (c+log: with EDGE_ACCESS_LOG=true); Redis holds the master list; no Kafka (the in-process bus takes the usage batches).',
    "- c: 1000 Secrets in turn, each verified once and then held; c': every request a Secret of another of the 100 000 keys (EdDSA check, HMAC fingerprint and a Redis GET each time); d: forged signatures, malformed tokens, wrong prefixes and unknown kids, reused; d': a new forged signature each request (an EdDSA check each time).",
    '',
  );
  process.stdout.write(lines.join('\n'));
}

const role = option('--role');
// A clean exit on SIGTERM, so a --cpu-prof profile gets written.
if (role) process.on('SIGTERM', () => process.exit(0));
if (role === 'upstream') runUpstream(Number(option('--port')));
else if (role === 'bare-proxy') runBareProxy(Number(option('--port')), option('--upstream')!);
else
  main().catch((error: Error) => {
    process.stderr.write(`bench:edge failed: ${error.message}\n`);
    process.exit(1);
  });
