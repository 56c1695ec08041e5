import { randomUUID } from 'node:crypto';
import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import type { Logger } from 'pino';
import { CLOCK, Clock } from '@keywarden/clock';
import { KeyRingEventType, ORG_SETTINGS_READER, OrgSettingsReader, SCHEDULER_ACTOR } from '@keywarden/contracts';
import { CONFLICT_ATTEMPTS } from '@keywarden/event-store';
import { runWithRequestContext } from '@keywarden/observability';
import { Campaign, LEADER_ELECTION, LeaderElection } from '@keywarden/platform';
import { dueWork, KeyRing, KeyRingCommand } from '../domain/key-ring.decider';
import { KeyMaterialService } from '../key-ring/key-material.service';
import { KeyRingRepository } from '../key-ring/key-ring.repository';
import { KEY_USAGE_READER, KeyUsageReader } from '../key-ring/key-usage.port';
import { KeyRingIndex } from './key-ring-index';
import { SCHEDULER_LOGGER, SCHEDULER_OPTIONS, SchedulerOptions } from './scheduler.tokens';

export type TickReport = Readonly<{ at: string; rings: number; recorded: Readonly<Partial<Record<KeyRingEventType, number>>>; failedRings: number }>;

/**
 * Rotates keys on schedule, issues expiry notices and records expiries, driven by the Clock.
 *
 * Ticks automatically only in the registry that holds the `lifecycle-scheduler` role. Safe all the
 * same to run in several instances at once (during a takeover), and after any pause: each tick only suggests
 * commands, and `decide` on the stored ring makes them idempotent (a rotated key is no longer
 * current, a notice is recorded per end, an expiry once). The store's expected revision lets one
 * of two racing instances win; the loser reloads, decides again and finds nothing left to do.
 * A late tick does what became due meanwhile: a notice is never skipped while the key still works.
 */
@Injectable()
export class LifecycleScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private running: Promise<unknown> = Promise.resolve();
  private campaign?: Campaign;

  constructor(
    private readonly index: KeyRingIndex,
    private readonly repository: KeyRingRepository,
    private readonly material: KeyMaterialService,
    @Inject(ORG_SETTINGS_READER) private readonly settings: OrgSettingsReader,
    @Inject(KEY_USAGE_READER) private readonly usage: KeyUsageReader,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(SCHEDULER_LOGGER) private readonly logger: Logger,
    @Inject(SCHEDULER_OPTIONS) private readonly options: SchedulerOptions,
    @Optional() @Inject(LEADER_ELECTION) private readonly election?: LeaderElection,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.index.catchUp();
    if (this.options.tickMs <= 0) return;
    if (!this.election) return this.startTicking();
    this.campaign = await this.election.campaign('lifecycle-scheduler', {
      lead: async () => this.startTicking(),
      stepDown: () => this.stopTicking(),
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.campaign?.resign();
    await this.stopTicking();
  }

  isLeader(): boolean {
    return this.campaign?.isLeader() ?? this.timer !== undefined;
  }

  private startTicking(): void {
    clearInterval(this.timer);
    this.timer = setInterval(() => void this.tick().catch((error) => this.logger.error({ err: error }, 'scheduler tick failed')), this.options.tickMs);
    this.timer.unref();
  }

  private async stopTicking(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running.catch(() => undefined);
  }

  /** One pass over every ring at the clock's current time. Ticks never overlap: a second call runs after the first. */
  tick(): Promise<TickReport> {
    const next = this.running.catch(() => undefined).then(() => this.runTick());
    this.running = next;
    return next;
  }

  private async runTick(): Promise<TickReport> {
    await this.index.catchUp();
    const now = this.clock.now();
    const tickId = randomUUID();
    const recorded: Partial<Record<KeyRingEventType, number>> = {};
    let failedRings = 0;
    const rings = this.index.entries();
    for (const [orgId, ring] of rings) {
      // The tick id is the request id of what it records: the notifier's log lines carry it too.
      await runWithRequestContext({ requestId: `scheduler-${tickId}`, fromCaller: false, orgId }, async () => {
        try {
          for (const event of await this.tickRing(orgId, ring, now)) recorded[event] = (recorded[event] ?? 0) + 1;
        } catch (error) {
          failedRings += 1;
          this.logger.error({ err: error }, 'scheduler could not process this ring; it is retried at the next tick');
        }
      });
    }
    const report: TickReport = { at: now.toISOString(), rings: rings.length, recorded, failedRings };
    if (Object.keys(recorded).length > 0 || failedRings > 0) this.logger.info(report, 'scheduler tick');
    return report;
  }

  private async tickRing(orgId: string, ring: KeyRing, now: Date): Promise<KeyRingEventType[]> {
    const settings = await this.settings.get(orgId);
    const due = dueWork(ring, now.toISOString(), { leadDays: settings.defaultGraceDays, noticeDays: settings.expiryNoticeDays });
    const recorded: KeyRingEventType[] = [];
    const metadata = { now: now.toISOString(), actor: SCHEDULER_ACTOR };

    // Expiries first: a key whose validity ended before a late rotation is recorded as ended by its
    // validity, then replaced (the rotation does not need the key to be active, only current).
    for (const keyId of due.expire) {
      recorded.push(...(await this.execute(orgId, { type: 'ExpireKey', data: { keyId }, metadata })));
    }
    // Rotation before the notice, so the notice of the outgoing key can name its replacement.
    if (due.rotate !== null) {
      const keyId = due.rotate;
      const lastUsedAt = await this.lastUsedForMail(orgId, keyId);
      const { newKey, recorded: rotation } = await this.material.recordNewKey((newKey) =>
        this.repository.execute(
          orgId,
          {
            type: 'RotateKeyOnSchedule',
            data: {
              keyId,
              leadDays: settings.defaultGraceDays,
              newKey,
              // Also for the successor of a short-lived key: the schedule keeps the organisation's interval.
              newKeyValidity: { kind: 'days', days: settings.rotationIntervalDays },
              ...(lastUsedAt !== undefined ? { lastUsedAt } : {}),
            },
            metadata,
          },
          { attempts: CONFLICT_ATTEMPTS },
        ),
      );
      if (rotation.events.length > 0) this.logger.info({ keyId, newKeyId: newKey.keyId }, 'key rotated on schedule');
      recorded.push(...rotation.events.map((e) => e.type));
    }
    for (const keyId of due.notice) {
      const lastUsedAt = (await this.usage.lastUsedAt(orgId, [keyId])).get(keyId) ?? null;
      recorded.push(
        ...(await this.execute(orgId, {
          type: 'IssueExpiryNotice',
          data: { keyId, noticeDays: settings.expiryNoticeDays, lastUsedAt },
          metadata,
        })),
      );
    }
    return recorded;
  }

  /**
   * "Last used" for the rotation mail (null = never used). A rotation never waits for the usage
   * read model: when it cannot be read, the mail gives the usual advice (undefined = not known).
   */
  private async lastUsedForMail(orgId: string, keyId: string): Promise<string | null | undefined> {
    try {
      return (await this.usage.lastUsedAt(orgId, [keyId])).get(keyId) ?? null;
    } catch (error) {
      this.logger.warn({ err: error, keyId }, 'usage read model unavailable: the rotation mail will not say when the key was last used');
      return undefined;
    }
  }

  /** A conflict means another instance (or an admin) changed the ring: decide again on fresh state. */
  private async execute(orgId: string, command: KeyRingCommand): Promise<KeyRingEventType[]> {
    const { events } = await this.repository.execute(orgId, command, { attempts: CONFLICT_ATTEMPTS });
    return events.map((e) => e.type);
  }
}
