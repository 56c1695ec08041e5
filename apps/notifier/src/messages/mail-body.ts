/**
 * A tiny document model for notification mail: the same blocks become the text part and the HTML
 * part, so the two alternatives can never say different things. Every value is escaped in HTML.
 */
export type Block =
  | Readonly<{ kind: 'paragraph'; text: string }>
  | Readonly<{ kind: 'code'; text: string }>
  | Readonly<{ kind: 'facts'; rows: ReadonlyArray<readonly [string, string]> }>
  | Readonly<{ kind: 'warning'; text: string }>;

export type RenderedMail = Readonly<{ subject: string; text: string; html: string }>;

export const paragraph = (text: string): Block => ({ kind: 'paragraph', text });
export const code = (text: string): Block => ({ kind: 'code', text });
export const facts = (...rows: Array<readonly [string, string]>): Block => ({ kind: 'facts', rows });
export const warning = (text: string): Block => ({ kind: 'warning', text });

const escapeHtml = (value: string): string =>
  value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

function textOf(block: Block): string {
  switch (block.kind) {
    case 'paragraph':
      return block.text;
    case 'code':
      return `    ${block.text}`;
    case 'facts':
      return block.rows.map(([label, value]) => `${label}: ${value}`).join('\n');
    case 'warning':
      return `Warning: ${block.text}`;
    default: {
      const unknown: never = block;
      return unknown;
    }
  }
}

function htmlOf(block: Block): string {
  switch (block.kind) {
    case 'paragraph':
      return `<p>${escapeHtml(block.text)}</p>`;
    case 'code':
      return `<p style="font-family:monospace;font-size:28px;letter-spacing:6px;font-weight:bold">${escapeHtml(block.text)}</p>`;
    case 'facts':
      return `<table cellpadding="4">${block.rows
        .map(([label, value]) => `<tr><td><strong>${escapeHtml(label)}</strong></td><td>${escapeHtml(value)}</td></tr>`)
        .join('')}</table>`;
    case 'warning':
      return `<p style="border-left:4px solid #c0392b;padding-left:8px"><strong>Warning:</strong> ${escapeHtml(block.text)}</p>`;
    default: {
      const unknown: never = block;
      return unknown;
    }
  }
}

export function renderMail(subject: string, blocks: readonly Block[], footer: string): RenderedMail {
  return {
    subject,
    text: `${[...blocks.map(textOf), `--\n${footer}`].join('\n\n')}\n`,
    html: [
      '<!doctype html><html><body style="font-family:sans-serif;line-height:1.5">',
      ...blocks.map(htmlOf),
      `<hr><p style="color:#666;font-size:12px">${escapeHtml(footer)}</p>`,
      '</body></html>',
    ].join('\n'),
  };
}
