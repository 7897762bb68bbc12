// report.html (--html): one self-contained file to mail or attach — the
// content of report.md rendered to HTML (marked, GitHub-flavoured tables)
// with every chart's SVG inline in place of its image link; no script, no
// outside reference. Raw HTML in the markdown (a channel or target name) is
// shown as text, never interpreted.

import { Marked } from 'marked';
import type { Chart } from './charts.js';

const STYLE = `
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.45; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; }
th { background: #f3f3f3; }
code { background: #f3f3f3; padding: 0 0.2em; }
figure { margin: 1em 0; }
svg { max-width: 100%; height: auto; }
`;

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The HTML page of a report: `markdown` (report.md's text) with `charts` inline. */
export function renderHtml(markdown: string, charts: readonly Chart[]): string {
  const byFile = new Map(charts.map((c) => [c.file, c]));
  const marked = new Marked({
    gfm: true,
    renderer: {
      image({ href, text }) {
        const chart = byFile.get(href);
        // Only the report's own charts are images; anything else stays a visible link, never a fetch.
        if (chart === undefined) return `<a href="${escapeHtml(href)}">${escapeHtml(text)}</a>`;
        return `<figure role="img" aria-label="${escapeHtml(chart.title)}">${chart.svg}</figure>`;
      },
      html({ text }) {
        return escapeHtml(text);
      },
    },
  });
  const body = marked.parse(markdown, { async: false }) as string;
  const title = /^# (.*)$/m.exec(markdown)?.[1] ?? 'orderer bench';
  return `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>${escapeHtml(title)}</title>\n<style>${STYLE}</style>\n</head>\n<body>\n${body}</body>\n</html>\n`;
}
