import { AsyncLocalStorage } from 'node:async_hooks';
import { RecordedEvent, SubscribeOptions, Subscription } from './event-store.port';

/** What a catch-up subscription reads: an adapter's committed events, synchronously or not. */
export type EventSource = {
  /**
   * The highest position a reader may go up to now, 0 when nothing is recorded: no event at or
   * below it may commit later (the adapter guarantees it), so the cursor can move past it for good.
   */
  head(): bigint | Promise<bigint>;
  range(from: bigint, to: bigint, prefix: string | undefined, limit: number): RecordedEvent[] | Promise<RecordedEvent[]>;
};

const SUBSCRIPTION_BATCH = 256;

// Lets close() tell when it is called from inside this subscription's own handler.
const handlerScope = new AsyncLocalStorage<CatchUpSubscription>();

/**
 * Follows a store by polling its table from a cursor: woken at once by `notify()` (an append this
 * process made, or a database notification), else every `pollIntervalMs`.
 */
export class CatchUpSubscription implements Subscription {
  private closed = false;
  private wake: (() => void) | undefined;
  /** An append was notified while the loop was busy reading: it must look again before idling. */
  private notified = false;
  private readonly done: Promise<void>;

  constructor(
    private readonly source: EventSource,
    private readonly handler: (event: RecordedEvent) => Promise<void>,
    private readonly options: SubscribeOptions,
    private readonly pollIntervalMs: number,
    onStopped: () => void,
  ) {
    // Without onError a failure rejects `done` unobserved: the process fails loudly rather than
    // a relay silently stopping.
    this.done = this.follow()
      .catch((error: unknown) => {
        this.closed = true;
        const failure = error instanceof Error ? error : new Error(String(error));
        if (!this.options.onError) throw failure;
        this.options.onError(failure);
      })
      .finally(onStopped);
  }

  /** An append committed in this process: look now rather than at the next poll. */
  notify(): void {
    if (this.wake) this.wake();
    else this.notified = true;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    // From inside the handler, waiting for the loop would wait for ourselves; the flag suffices.
    if (handlerScope.getStore() === this) return;
    await this.done.catch(() => undefined);
  }

  private async follow(): Promise<void> {
    let cursor = this.options.fromPosition ?? 0n;
    while (!this.closed) {
      this.notified = false;
      const head = await this.source.head();
      if (head <= cursor) {
        await this.idle();
        continue;
      }
      const batch = await this.source.range(cursor, head, this.options.streamPrefix, SUBSCRIPTION_BATCH);
      for (const event of batch) {
        if (this.closed) return;
        await handlerScope.run(this, () => this.handler(event));
        cursor = event.position;
      }
      // A short batch means nothing else matches up to head: skip the filtered-out rows for good.
      if (batch.length < SUBSCRIPTION_BATCH) cursor = head;
    }
  }

  private idle(): Promise<void> {
    if (this.notified) return Promise.resolve();
    return new Promise((wakeUp) => {
      const timer = setTimeout(() => this.stopWaiting(wakeUp), this.pollIntervalMs);
      this.wake = () => {
        clearTimeout(timer);
        this.stopWaiting(wakeUp);
      };
    });
  }

  private stopWaiting(wakeUp: () => void): void {
    this.wake = undefined;
    wakeUp();
  }
}
