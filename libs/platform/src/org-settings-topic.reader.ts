import type { Logger } from 'pino';
import {
  DEFAULT_SETTINGS,
  envelopeFromMessage,
  ORG_SETTINGS_MESSAGE_TYPE,
  OrgSettings,
  OrgSettingsReader,
  parseOrgSettings,
  Topics,
} from '@keywarden/contracts';
import { ConsumerHandle, IncomingMessage, isPoisonError, MessageBus, PoisonMessageError } from '@keywarden/messaging';
import { runWithRequestContext } from '@keywarden/observability';

/** One organisation's settings changed (or were first learned) on this instance. */
export type OrgSettingsChange = Readonly<{
  orgId: string;
  settings: OrgSettings;
  /** What this instance held before: DEFAULT_SETTINGS the first time it hears of the organisation. */
  previous: OrgSettings;
  /** The request id of the admin call that changed them, when known. */
  correlationId?: string;
}>;

export type OrgSettingsListener = (change: OrgSettingsChange) => void | Promise<void>;

export type OrgSettingsTopicReaderOptions = Readonly<{
  /** Unique per process instance, so every instance reads the whole topic (no sharing of partitions). */
  groupId: string;
  /**
   * How long start() waits for the replay to reach the end of the topic as it was when start() began.
   * Past it, start() fails (the service does not start, and so is never ready, with defaults). @default 60_000
   */
  catchUpTimeoutMs?: number;
}>;

/** The replay did not reach the end of the settings topic in time: the service must not serve with defaults. */
export class SettingsReplayTimeoutError extends Error {
  readonly code = 'SETTINGS_REPLAY_TIMEOUT';
  override readonly name = 'SettingsReplayTimeoutError';
}

/**
 * The organisations' settings as this process knows them, fed by the compacted settings topic.
 * Every instance reads the topic from the beginning under its own group id, so it learns the
 * latest settings of every organisation, including those changed before it started; an
 * organisation it has not heard of has the defaults of API.md (DEFAULT_SETTINGS). Lookups are
 * in memory and never wait on Kafka.
 */
export class OrgSettingsTopicReader implements OrgSettingsReader {
  private readonly latest = new Map<string, { settings: OrgSettings; revision: number | undefined }>();
  private readonly listeners = new Set<OrgSettingsListener>();
  private consumer?: ConsumerHandle;
  private starting?: Promise<void>;
  private startedAtMs = Date.now();
  /** Partitions not yet consumed up to the end offset they had at start, and that offset; undefined before start. */
  private behind?: Map<number, bigint>;
  private catchUp?: { resolve: () => void; reject: (error: Error) => void };

  constructor(
    private readonly bus: MessageBus,
    private readonly logger: Logger,
    private readonly options: OrgSettingsTopicReaderOptions,
  ) {}

  /**
   * Subscribes (once) and replays the topic from its beginning; resolves only once every partition
   * has been consumed up to the end offset it had when start() began, so the organisations' settings
   * are applied before the service serves anything (it listens, and so is ready, only after this).
   * Rejects with SettingsReplayTimeoutError, naming the partitions still behind, after catchUpTimeoutMs.
   */
  start(): Promise<void> {
    this.starting ??= (async () => {
      this.startedAtMs = Date.now();
      // Compacted whoever creates it first, the settings service or a reader that starts before it.
      await this.bus.ensureTopics([{ topic: Topics.settings, compacted: true }]);
      // Read before subscribing: everything below these offsets is delivered to a group reading from the beginning.
      const ends = await this.bus.partitionOffsets(Topics.settings);
      this.behind = new Map(ends.filter((p) => BigInt(p.end) > BigInt(p.start)).map((p) => [p.partition, BigInt(p.end)]));
      const caughtUp = new Promise<void>((resolve, reject) => (this.catchUp = { resolve, reject }));
      caughtUp.catch(() => undefined);
      this.checkCaughtUp();
      this.consumer = await this.bus.subscribe({
        groupId: this.options.groupId,
        topics: [Topics.settings],
        fromBeginning: true,
        handler: (message) => this.consume(message),
      });
      const timeoutMs = this.options.catchUpTimeoutMs ?? 60_000;
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          caughtUp,
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(this.replayTimeout(timeoutMs)), timeoutMs);
          }),
        ]);
      } catch (error) {
        this.logger.error({ groupId: this.options.groupId, err: error }, 'the settings topic was not replayed: not starting with default settings');
        await this.consumer?.stop().catch(() => undefined);
        this.consumer = undefined;
        throw error;
      } finally {
        clearTimeout(timer);
      }
      this.logger.info(
        { groupId: this.options.groupId, organisations: this.latest.size, replayMs: Date.now() - this.startedAtMs },
        'following the settings topic (replayed to its end)',
      );
    })();
    this.starting.catch(() => (this.starting = undefined));
    return this.starting;
  }

  /** True once start() has replayed the topic to the end it had at start. */
  get caughtUp(): boolean {
    return this.behind !== undefined && this.behind.size === 0;
  }

  async stop(): Promise<void> {
    this.catchUp?.reject(new Error('the settings reader was stopped before it had replayed the settings topic'));
    await this.consumer?.stop();
    this.consumer = undefined;
    this.starting = undefined;
  }

  /** The handler given to the bus: applies the message, then counts it (a poison one too: the bus moves past it). */
  private async consume(message: IncomingMessage): Promise<void> {
    try {
      await this.handle(message);
    } catch (error) {
      if (isPoisonError(error)) this.consumed(message);
      throw error;
    }
    this.consumed(message);
  }

  private consumed(message: IncomingMessage): void {
    const end = this.behind?.get(message.partition);
    if (end === undefined || BigInt(message.offset) + 1n < end) return;
    this.behind!.delete(message.partition);
    this.checkCaughtUp();
  }

  private checkCaughtUp(): void {
    if (this.caughtUp) this.catchUp?.resolve();
  }

  private replayTimeout(timeoutMs: number): SettingsReplayTimeoutError {
    const behind = [...(this.behind ?? [])].map(([partition, end]) => `partition ${partition} (end offset ${end})`).join(', ');
    return new SettingsReplayTimeoutError(
      `the settings topic ${Topics.settings} was not replayed within ${timeoutMs} ms (still behind: ${behind}); ` +
        'the service does not start with default settings: check the Kafka broker and the dead-letter topic, then restart',
    );
  }

  async get(orgId: string): Promise<OrgSettings> {
    return this.current(orgId);
  }

  /** The same as `get`, without a promise: for a per-request hot path. */
  current(orgId: string): OrgSettings {
    return this.latest.get(orgId)?.settings ?? DEFAULT_SETTINGS;
  }

  /** The organisations this instance has received settings for; every other one has the defaults. */
  knownOrgIds(): string[] {
    return [...this.latest.keys()];
  }

  /**
   * Calls `listener` after each change this instance applies (including those replayed at start).
   * A listener's failure is logged and does not stop the reader. Returns the unsubscribe function.
   */
  onChange(listener: OrgSettingsListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** @internal the topic's message handler, public for tests of poison handling */
  async handle(message: IncomingMessage): Promise<void> {
    const envelope = envelopeFromMessage(message.headers, message.key, message.value);
    if (envelope.type !== ORG_SETTINGS_MESSAGE_TYPE) throw new PoisonMessageError(`unexpected message type ${envelope.type} on ${Topics.settings}`);
    const settings = parseOrgSettings(envelope.data);
    const revision = envelope.streamRevision;
    const held = this.latest.get(envelope.orgId);
    // A redelivery, or a republish after a relay crash, carries a revision already applied: nothing to do.
    if (held?.revision !== undefined && revision !== undefined && revision <= held.revision) return;
    this.latest.set(envelope.orgId, { settings, revision });
    const context = { requestId: envelope.correlationId ?? envelope.id, fromCaller: envelope.correlationId !== undefined, orgId: envelope.orgId };
    // The start-up replay of every organisation's settings is debug; live changes are info. The request id
    // is given as fields, and a request context entered only for listeners: entering one turns Node's async
    // hooks on for the whole process, a cost the edge (no listener) would pay on every proxied request.
    const replayed = held === undefined && Date.parse(envelope.time) < this.startedAtMs;
    this.logger[replayed ? 'debug' : 'info']({ requestId: context.requestId, orgId: context.orgId, revision }, 'organisation settings applied');
    if (this.listeners.size === 0) return;
    await runWithRequestContext(context, async () => {
      const change: OrgSettingsChange = {
        orgId: envelope.orgId,
        settings,
        previous: held?.settings ?? DEFAULT_SETTINGS,
        ...(envelope.correlationId ? { correlationId: envelope.correlationId } : {}),
      };
      for (const listener of this.listeners) {
        try {
          await listener(change);
        } catch (error) {
          this.logger.error({ err: error }, 'a settings listener failed; the settings are applied regardless');
        }
      }
    });
  }
}
