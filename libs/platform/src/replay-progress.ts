export type ProgressOutput = Readonly<{ isTTY?: boolean; write(text: string): unknown }>;

export type ReplayProgressBar = Readonly<{
  /** After each page: events so far and the position of the last one (ReplayProgress). */
  tick: (eventsReplayed: number, position: bigint) => void;
  /** The final state, once; nothing when no page was ever reported. */
  done: () => void;
}>;

const WIDTH = 30;

/**
 * A progress bar for the command-line replays (audit, cache rebuild): how far the replay has come
 * towards the store's head position when it started. On a terminal it redraws one line at most
 * every 100 ms; into a file or pipe it writes a line every 5 s, so a long replay's log stays short.
 */
export function replayProgressBar(label: string, head: bigint, out: ProgressOutput = process.stderr, nowMs: () => number = Date.now): ReplayProgressBar {
  const tty = out.isTTY === true;
  const everyMs = tty ? 100 : 5_000;
  let lastShownMs = -Infinity;
  let latest: { events: number; position: bigint } | undefined;
  const line = ({ events, position }: { events: number; position: bigint }): string => {
    const fraction = head > 0n ? Math.min(1, Number(position) / Number(head)) : 1;
    const filled = Math.round(fraction * WIDTH);
    return `${label} [${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${Math.floor(fraction * 100)}%  ${events.toLocaleString('en')} events`;
  };
  return {
    tick: (events, position) => {
      latest = { events, position };
      const now = nowMs();
      if (now - lastShownMs < everyMs) return;
      lastShownMs = now;
      out.write(tty ? `\r${line(latest)}` : `${line(latest)}\n`);
    },
    done: () => {
      if (!latest) return;
      out.write(tty ? `\r${line(latest)}\n` : `${line(latest)}\n`);
    },
  };
}
