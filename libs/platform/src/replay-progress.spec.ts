import { replayProgressBar } from './replay-progress';

const output = (isTTY: boolean) => {
  const written: string[] = [];
  return { isTTY, written, write: (text: string) => written.push(text) };
};

describe('replay progress bar', () => {
  it('shows how far the replay has come towards the head position, with the events so far', () => {
    const out = output(false);
    let now = 0;
    const bar = replayProgressBar('replaying', 200n, out, () => now);
    bar.tick(1_000, 50n);
    now = 10_000;
    bar.tick(2_000, 100n);
    bar.done();
    expect(out.written).toEqual([
      `replaying [########----------------------] 25%  1,000 events\n`,
      `replaying [###############---------------] 50%  2,000 events\n`,
      `replaying [###############---------------] 50%  2,000 events\n`,
    ]);
  });

  it('redraws one terminal line at most every 100 ms, and ends it when done', () => {
    const out = output(true);
    let now = 0;
    const bar = replayProgressBar('replaying', 1_000n, out, () => now);
    bar.tick(100, 100n);
    now = 50;
    bar.tick(200, 200n); // too soon: not drawn
    now = 150;
    bar.tick(1_000, 1_000n);
    bar.done();
    expect(out.written).toEqual([
      `\rreplaying [###---------------------------] 10%  100 events`,
      `\rreplaying [##############################] 100%  1,000 events`,
      `\rreplaying [##############################] 100%  1,000 events\n`,
    ]);
  });

  it('writes nothing for a replay that reported no page, and shows an empty store as complete', () => {
    const silent = output(true);
    replayProgressBar('replaying', 0n, silent).done();
    expect(silent.written).toEqual([]);

    const out = output(false);
    const bar = replayProgressBar('replaying', 0n, out, () => 0);
    bar.tick(0, 0n);
    expect(out.written).toEqual([`replaying [##############################] 100%  0 events\n`]);
  });
});
