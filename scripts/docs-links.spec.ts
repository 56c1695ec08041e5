import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

// A fresh clone holds only the repository: every relative link of its README and docs must resolve
// to a file (or folder) in it, never to a sibling folder of the checkout such as ../shared.

const ROOT = resolve(__dirname, '..');
/** Folders that exist in a working copy but not in a clone (.gitignore). */
const NOT_IN_A_CLONE = new Set(['node_modules', 'dist', 'data', 'test-output', '.tmp', 'coverage']);

/** Inline links and images `[text](target "title")` and reference definitions `[id]: target`, outside code blocks. */
function relativeLinksOf(markdown: string): string[] {
  const text = markdown.replace(/^```[\s\S]*?^```/gm, '');
  const inline = [...text.matchAll(/!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]);
  const references = [...text.matchAll(/^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/gm)].map((m) => m[1]);
  return [...inline, ...references].filter((target) => !/^(?:[a-z][a-z0-9+.-]*:|#)/i.test(target));
}

/** The links of one markdown file that do not resolve inside the repository, with why. */
function brokenLinks(markdown: string, file: string, root: string = ROOT): string[] {
  return relativeLinksOf(markdown).flatMap((target) => {
    const path = decodeURIComponent(target.split('#')[0]);
    if (path === '') return [];
    const resolved = resolve(dirname(file), path);
    const inRepo = relative(root, resolved);
    if (inRepo.startsWith('..') || resolve(root, inRepo) !== resolved) return [`${target}: outside the repository`];
    if (inRepo.split(sep).some((part) => NOT_IN_A_CLONE.has(part))) return [`${target}: in a folder a clone does not have`];
    if (!existsSync(resolved)) return [`${target}: no such file`];
    return [];
  });
}

const markdownFiles = (): string[] => [
  join(ROOT, 'README.md'),
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => join(ROOT, 'docs', name)),
  ...['apps', 'libs', 'test'].flatMap((top) =>
    readdirSync(join(ROOT, top), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => join(ROOT, top, entry.name, 'README.md'))
      .filter((file) => existsSync(file)),
  ),
];

describe('links of the README and docs/*.md', () => {
  it('all resolve to a file in the repository', () => {
    const files = markdownFiles();
    expect(files.map((f) => relative(ROOT, f))).toEqual(expect.arrayContaining(['README.md', join('docs', 'api.md'), join('docs', 'architecture.md')]));
    const broken = Object.fromEntries(
      files.map((file) => [relative(ROOT, file), brokenLinks(readFileSync(file, 'utf8'), file)] as const).filter(([, problems]) => problems.length > 0),
    );
    expect(broken).toEqual({});
  });

  it('reports a link out of the clone, to a missing file or into an ignored folder, and ignores URLs, anchors and code', () => {
    const readme = join(ROOT, 'README.md');
    const markdown = [
      'See [the API](../shared/design/API.md) and [gone](docs/nothing-here.md#part).',
      '![shot](data/mail/x.eml) [ok](docs/api.md#key-registry) [folder](docs/screenshots/)',
      '[web](https://example.com/x.md) [anchor](#tests) [mail](mailto:a@b.test)',
      '```md',
      '[in code](../nowhere.md)',
      '```',
      '[ref]: ../shared/design/ARCHITECTURE.md',
    ].join('\n');
    expect(brokenLinks(markdown, readme)).toEqual([
      '../shared/design/API.md: outside the repository',
      'docs/nothing-here.md#part: no such file',
      'data/mail/x.eml: in a folder a clone does not have',
      '../shared/design/ARCHITECTURE.md: outside the repository',
    ]);
  });
});
