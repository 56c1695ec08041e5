// The console's media limit in words (a browser module, tested here where Jest sees it).
import { byteSize } from '../../console/src/byte-size';

describe('console: the media limit in bytes, KiB or MiB', () => {
  it.each([
    [1, '1 byte'],
    [1000, '1000 bytes'],
    [1023, '1023 bytes'],
    [1024, '1 KiB'],
    [3000, '2.9 KiB'],
    [2_000_000, '1.9 MiB'],
    [10 * 1024 * 1024, '10 MiB'],
    [100 * 1024 * 1024, '100 MiB'],
  ])('%p bytes read "%s"', (bytes, words) => {
    expect(byteSize(bytes)).toBe(words);
  });
});
