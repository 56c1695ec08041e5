import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { loadConfig } from '@keywarden/config';
import { DateTimeStyle, formatInstant, keyRingStream, ORG_ID_PATTERN } from '@keywarden/contracts';
import type { EventStore, ReplayProgress } from '@keywarden/event-store';
import { Infrastructure, replayProgressBar } from '@keywarden/platform';
import { KeyRing, visibleKeys } from './domain/key-ring.decider';
import { KeyView, toKeyView } from './key-ring/key.view';
import { AuditEntry, toAuditEntry } from './queries/audit/audit-entry';
import { AuditWindow, InvalidAuditInstantError, parseAuditWindow } from './queries/audit/audit-instant';
import { AuditSink, OrgAudit, replayAudit, streamAudit } from './queries/audit/audit-replay';
import { CacheDifference, findCacheDrift, repairCacheDrift } from './queries/audit/cache-drift';
import { verifyKeyRingChains } from './queries/audit/chain-verification';

const USAGE = `usage: npm run audit -- [--org <id>] [--from <instant>] [--to <instant>] [--at <instant>] [--json]
       npm run audit -- --verify-chain [--org <id>]
       npm run audit -- --verify-cache [--repair] [--org <id>]   (REDIS_URL must name the cache)`;

/** Operators read one format: ISO 8601 UTC with Z, whatever each organisation chose for its API. */
const STYLE: DateTimeStyle = 'iso-utc-z';

class UsageError extends Error {}

type Cell = string | number | null | undefined;
const cellText = (cell: Cell): string => (cell === null || cell === undefined ? '-' : String(cell));
const widthsOf = (headers: string[], rows: string[][]): number[] => headers.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
const tableLine = (row: string[], widths: number[]): string => row.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd();

function table(headers: string[], rows: Cell[][]): string {
  const cells = rows.map((row) => row.map(cellText));
  const widths = widthsOf(headers, cells);
  return [headers, widths.map((w) => '-'.repeat(w)), ...cells].map((row) => tableLine(row, widths)).join('\n');
}

/** Writes to stdout, and waits when the reader of a pipe is behind rather than buffering the output in memory. */
async function writeOut(text: string): Promise<void> {
  if (!process.stdout.write(text)) await once(process.stdout, 'drain');
}

/**
 * A table written while its rows are still being replayed: the header and the first page of rows
 * set the column widths, and a longer cell after that shifts only the rest of its own line.
 */
class StreamedTable {
  private widths: number[] | null = null;
  private pending: string[][] = [];

  constructor(private readonly headers: string[]) {}

  add(row: Cell[]): void {
    this.pending.push(row.map(cellText));
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    let text = '';
    if (!this.widths) {
      this.widths = widthsOf(this.headers, this.pending);
      text = `${tableLine(this.headers, this.widths)}\n${tableLine(this.widths.map((w) => '-'.repeat(w)), this.widths)}\n`;
    }
    for (const row of this.pending) text += `${tableLine(row, this.widths)}\n`;
    this.pending = [];
    await writeOut(text);
  }
}

const stateAt = (ringAt: KeyRing | null, at: Date): KeyView[] => (ringAt ? visibleKeys(ringAt).map((k) => toKeyView(k, at.toISOString(), STYLE, null)) : []);

function present(org: OrgAudit, at: Date | undefined) {
  const events = org.records.map((r) => toAuditEntry(r, STYLE));
  if (!at) return { orgId: org.orgId, events };
  return { orgId: org.orgId, events, stateAt: stateAt(org.ringAt, at) };
}

const TIMELINE_HEADERS = ['position', 'at', 'type', 'key', 'hint', 'actor', 'request id', 'details'];

function timelineRow(e: AuditEntry): Cell[] {
  const details = Object.entries(e.details)
    .filter(([name, value]) => name !== 'hint' && value !== null)
    .map(([name, value]) => `${name}=${String(value)}`)
    .join(' ');
  return [e.position, e.at, e.type, e.keyId, e.details.hint as string | null, e.actor.email ?? e.actor.sub, e.requestId, details];
}

function keyTable(orgId: string, keys: KeyView[], at: Date): string {
  const rows = keys.map((k) => [k.keyId, k.hint, k.status, k.createdAt, k.expiresAt ?? 'never', k.revokedAt, k.graceEndsAt, k.replacedBy]);
  return `\nKey table of ${orgId} at ${formatInstant(at, STYLE)}:\n${table(['key', 'hint', 'status', 'created', 'expires', 'revoked', 'grace ends', 'replaced by'], rows)}\n`;
}

function printOrg(view: ReturnType<typeof present>, at: Date | undefined): void {
  process.stdout.write(`\nOrganisation ${view.orgId}: ${view.events.length} events\n`);
  process.stdout.write(`${table(TIMELINE_HEADERS, view.events.map(timelineRow))}\n`);
  if (view.stateAt && at) process.stdout.write(keyTable(view.orgId, view.stateAt, at));
}

/**
 * Every organisation's timeline, written as the replay reads it: one timeline in store order
 * (JSON Lines with --json), then with --at each organisation's key table. Holding it all to group
 * it by organisation took ~1.2 KB of memory per event.
 */
async function writeWholeStore(store: EventStore, window: AuditWindow, json: boolean, onProgress: ReplayProgress): Promise<{ events: number; orgs: number }> {
  const timeline = new StreamedTable(['position', 'at', 'organisation', ...TIMELINE_HEADERS.slice(2)]);
  let lines = '';
  let written = 0;
  const sink: AuditSink = {
    record(record) {
      const entry = toAuditEntry(record, STYLE);
      written++;
      if (json) lines += `${JSON.stringify({ orgId: record.orgId, ...entry })}\n`;
      else timeline.add([entry.position, entry.at, record.orgId, ...timelineRow(entry).slice(2)]);
    },
    async endPage() {
      if (json) {
        const text = lines;
        lines = '';
        if (text) await writeOut(text);
      } else {
        await timeline.flush();
      }
    },
  };
  const { orgs, events } = await streamAudit(store, sink, { ...window, onProgress });
  if (!json && written === 0) await writeOut(orgs.size === 0 ? 'no key-ring events in the store\n' : 'no key-ring events in that window\n');
  if (window.at) {
    const at = window.at;
    for (const org of orgs.values()) {
      const keys = stateAt(org.ringAt, at);
      await writeOut(json ? `${JSON.stringify({ orgId: org.orgId, at: formatInstant(at, STYLE), stateAt: keys })}\n` : keyTable(org.orgId, keys, at));
    }
  }
  return { events, orgs: orgs.size };
}

const describeDifference = (d: CacheDifference): string => {
  const show = (k: { status: string; acceptUntil: number | null }) => `${k.status}, accepted until ${k.acceptUntil === null ? 'never expires' : new Date(k.acceptUntil).toISOString()}`;
  if (d.kind === 'missing') return `missing  ${d.orgId} ${d.keyId}: the replay has it (${show(d.expected)}), the cache does not`;
  if (d.kind === 'extra') return `extra    ${d.orgId} ${d.keyId}: the cache has it (${show(d.found)}), the replay does not accept it`;
  if (d.kind === 'orphan')
    return d.found
      ? `orphan   ${d.orgId} ${d.keyId}: entry ${d.fingerprint} (${show(d.found)}) is in no organisation's index and the replay does not know it; the edge would accept it`
      : `orphan   entry ${d.fingerprint} is in no organisation's index and cannot be read as a cached key`;
  return `differs  ${d.orgId} ${d.keyId}: ${d.fields.join(', ')}: replay ${show(d.expected)}, cache ${show(d.found)}`;
};

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      org: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      at: { type: 'string' },
      json: { type: 'boolean', default: false },
      'verify-chain': { type: 'boolean', default: false },
      'verify-cache': { type: 'boolean', default: false },
      repair: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const orgId = values.org;
  if (orgId !== undefined && !ORG_ID_PATTERN.test(orgId)) throw new UsageError(`--org: "${orgId}" is not an organisation id`);
  if (values.repair && !values['verify-cache']) throw new UsageError('--repair goes with --verify-cache');
  const window = parseAuditWindow({ from: values.from, to: values.to, at: values.at });

  const config = loadConfig();
  const infra = new Infrastructure(config, 'audit');
  try {
    const store = infra.eventStore();
    if (values['verify-chain']) {
      const shown = replayProgressBar('verifying the chain', await store.headPosition());
      const report = await verifyKeyRingChains(store, { orgStream: orgId && keyRingStream(orgId), onProgress: shown.tick });
      shown.done();
      const brk = report.firstBreak;
      if (values.json) {
        process.stdout.write(`${JSON.stringify({ ...report, firstBreak: brk && { ...brk, position: Number(brk.position), revision: Number(brk.revision) } })}\n`);
      } else if (brk) {
        process.stdout.write(
          `CHAIN BROKEN at position ${brk.position} (stream ${brk.streamId}, revision ${brk.revision}):\n  expected ${brk.expected}\n  found    ${brk.found ?? '(no chain value)'}\n` +
            `The event at that position, or one before it in the same stream, was changed, removed or inserted outside Keywarden.\n`,
        );
      } else {
        process.stdout.write(`chain intact: ${report.events} events in ${report.streams} key rings\n`);
      }
      return brk ? 1 : 0;
    }

    if (values['verify-cache']) {
      if (!config.redisUrl) throw new UsageError('--verify-cache needs REDIS_URL: the embedded in-memory cache lives inside the running service');
      const cache = await infra.activeKeyCache();
      const now = infra.clock.now();
      const shown = replayProgressBar('replaying', await store.headPosition());
      const report = await findCacheDrift(store, cache, now, { orgId, onProgress: shown.tick });
      shown.done();
      const repaired = values.repair && report.differences.length > 0 ? await repairCacheDrift(store, cache, report, now) : { organisations: 0, orphans: 0 };
      const repairedAny = repaired.organisations + repaired.orphans > 0;
      const after = repairedAny ? await findCacheDrift(store, cache, now, { orgId }) : report;
      if (values.json) {
        process.stdout.write(`${JSON.stringify({ events: report.events, organisations: report.organisations, differences: report.differences, repairedOrganisations: repaired.organisations, removedOrphans: repaired.orphans, remaining: after.differences })}\n`);
      } else {
        process.stdout.write(`compared ${report.organisations} organisations (replayed ${report.events} events): ${report.differences.length} differences\n`);
        for (const d of report.differences) process.stdout.write(`  ${describeDifference(d)}\n`);
        if (repairedAny) {
          process.stdout.write(`repaired ${repaired.organisations} organisations from the replay and removed ${repaired.orphans} orphan entries; ${after.differences.length} differences remain\n`);
        }
      }
      return after.differences.length === 0 ? 0 : 1;
    }

    if (orgId === undefined) {
      // The timeline on a terminal shows the replay's progress itself; a bar redrawn between its
      // lines would garble them. Redirected, the bar on stderr is all the operator sees.
      const bar = process.stdout.isTTY ? undefined : replayProgressBar('replaying', await store.headPosition());
      const { events, orgs } = await writeWholeStore(store, window, values.json, (n, position) => bar?.tick(n, position));
      bar?.done();
      process.stderr.write(`replayed ${events} events of ${orgs} organisations\n`);
      return 0;
    }
    const shown = replayProgressBar('replaying', await store.headPosition());
    const { orgs } = await replayAudit(store, { orgId, ...window, onProgress: shown.tick });
    shown.done();
    const org = orgs.get(orgId);
    if (values.json) {
      const body = org ? present(org, window.at) : { orgId, events: [], ...(window.at ? { stateAt: [] } : {}) };
      process.stdout.write(`${JSON.stringify(body)}\n`);
    } else if (org) {
      printOrg(present(org, window.at), window.at);
    } else {
      process.stdout.write(`no key-ring events for organisation ${orgId}\n`);
    }
    return 0;
  } finally {
    await infra.close();
  }
}

// The reader of a pipe has had enough (`npm run audit | head`): stop quietly, nothing is left half done.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(0);
});

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error) => {
    const usage = error instanceof UsageError || error instanceof InvalidAuditInstantError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`audit: ${error.message}\n${usage ? `${USAGE}\n` : ''}`);
    process.exit(usage ? 2 : 1);
  },
);
