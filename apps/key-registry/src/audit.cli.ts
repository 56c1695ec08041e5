import { parseArgs } from 'node:util';
import { loadConfig } from '@keywarden/config';
import { DateTimeStyle, keyRingStream, ORG_ID_PATTERN } from '@keywarden/contracts';
import { Infrastructure, replayProgressBar } from '@keywarden/platform';
import { visibleKeys } from './domain/key-ring.decider';
import { toKeyView } from './key-ring/key.view';
import { AuditEntry, toAuditEntry } from './queries/audit/audit-entry';
import { InvalidAuditInstantError, parseAuditWindow } from './queries/audit/audit-instant';
import { OrgAudit, replayAudit } from './queries/audit/audit-replay';
import { CacheDifference, findCacheDrift, repairCacheDrift } from './queries/audit/cache-drift';
import { verifyKeyRingChains } from './queries/audit/chain-verification';

const USAGE = `usage: npm run audit -- [--org <id>] [--from <instant>] [--to <instant>] [--at <instant>] [--json]
       npm run audit -- --verify-chain [--org <id>]
       npm run audit -- --verify-cache [--repair] [--org <id>]   (REDIS_URL must name the cache)`;

/** Operators read one format: ISO 8601 UTC with Z, whatever each organisation chose for its API. */
const STYLE: DateTimeStyle = 'iso-utc-z';

class UsageError extends Error {}

function table(headers: string[], rows: Array<Array<string | number | null | undefined>>): string {
  const cells = rows.map((row) => row.map((cell) => (cell === null || cell === undefined ? '-' : String(cell))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i].length)));
  const line = (row: string[]): string => row.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

function present(org: OrgAudit, at: Date | undefined) {
  const events = org.records.map((r) => toAuditEntry(r, STYLE));
  if (!at) return { orgId: org.orgId, events };
  const instant = at.toISOString();
  return { orgId: org.orgId, events, stateAt: org.ringAt ? visibleKeys(org.ringAt).map((k) => toKeyView(k, instant, STYLE, null)) : [] };
}

function printOrg(view: ReturnType<typeof present>, at: Date | undefined): void {
  const { orgId } = view;
  const describe = (e: AuditEntry): string =>
    Object.entries(e.details)
      .filter(([name, value]) => name !== 'hint' && value !== null)
      .map(([name, value]) => `${name}=${String(value)}`)
      .join(' ');
  process.stdout.write(`\nOrganisation ${orgId}: ${view.events.length} events\n`);
  process.stdout.write(
    `${table(
      ['position', 'at', 'type', 'key', 'hint', 'actor', 'request id', 'details'],
      view.events.map((e) => [e.position, e.at, e.type, e.keyId, e.details.hint as string | null, e.actor.email ?? e.actor.sub, e.requestId, describe(e)]),
    )}\n`,
  );
  if (view.stateAt && at) {
    process.stdout.write(`\nKey table of ${orgId} at ${at.toISOString()}:\n`);
    process.stdout.write(
      `${table(
        ['key', 'hint', 'status', 'created', 'expires', 'revoked', 'grace ends', 'replaced by'],
        view.stateAt.map((k) => [k.keyId, k.hint, k.status, k.createdAt, k.expiresAt ?? 'never', k.revokedAt, k.graceEndsAt, k.replacedBy]),
      )}\n`,
    );
  }
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

    const shown = replayProgressBar('replaying', await store.headPosition());
    const { orgs, events } = await replayAudit(store, { orgId, ...window, onProgress: shown.tick });
    shown.done();
    // Each organisation is presented and written on its own: the whole store's view as one value
    // (or one JSON text, which V8 caps at ~512 MiB) would not fit a large store.
    if (values.json && orgId !== undefined) {
      const org = orgs.get(orgId);
      const body = org ? present(org, window.at) : { events: [], ...(window.at ? { stateAt: [] } : {}) };
      process.stdout.write(`${JSON.stringify(body)}\n`);
    } else if (values.json) {
      process.stdout.write('{"organisations":[');
      let first = true;
      for (const org of orgs.values()) {
        process.stdout.write(`${first ? '' : ','}${JSON.stringify(present(org, window.at))}`);
        first = false;
      }
      process.stdout.write(']}\n');
    } else {
      if (orgs.size === 0) process.stdout.write(orgId ? `no key-ring events for organisation ${orgId}\n` : 'no key-ring events in the store\n');
      for (const org of orgs.values()) printOrg(present(org, window.at), window.at);
      process.stderr.write(`replayed ${events} events of ${orgs.size} organisations\n`);
    }
    return 0;
  } finally {
    await infra.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error) => {
    const usage = error instanceof UsageError || error instanceof InvalidAuditInstantError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`audit: ${error.message}\n${usage ? `${USAGE}\n` : ''}`);
    process.exit(usage ? 2 : 1);
  },
);
