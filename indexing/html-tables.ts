import { formatTableRow } from '../text/table-rows.js';

const ROW = /<tr\b[^>]*>([\s\S]*?)(?:<\/tr\s*>|(?=<tr\b)|$)/gi;
const CELL = /<(td|th)\b[^>]*>([\s\S]*?)(?:<\/\1\s*>|(?=<t[dh]\b)|$)/gi;

/** The text of a cell: tags and line breaks inside it become single spaces. */
function cellText(html: string): string {
  return html.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').replace(/\|/g, '\\|').trim();
}

/**
 * One HTML table as Markdown: a pipe table when its first row is all `<th>` (or sits in
 * `<thead>`), so the header can be repeated and quoted with each row; otherwise each row on a
 * line of its own, cells between pipes but no outer ones, since without a header no row may be
 * read as column names. Blank lines around it keep it out of the paragraphs on either side.
 */
function tableToMarkdown(table: string): string {
  const rows = [...table.matchAll(ROW)].map((row) => {
    const cells = [...(row[1] ?? '').matchAll(CELL)];
    return { header: cells.length > 0 && cells.every((cell) => cell[1]!.toLowerCase() === 'th'), cells: cells.map((cell) => cellText(cell[2] ?? '')) };
  }).filter((row) => row.cells.some(Boolean));
  if (rows.length === 0) return '\n\n';
  const first = rows[0]!;
  if (first.header || /<thead\b/i.test(table)) {
    const width = Math.max(...rows.map((row) => row.cells.length));
    const pad = (cells: string[]) => [...cells, ...Array<string>(width - cells.length).fill('')];
    const lines = [formatTableRow(pad(first.cells)), formatTableRow(Array<string>(width).fill('---')), ...rows.slice(1).map((row) => formatTableRow(pad(row.cells)))];
    return `\n\n${lines.join('\n')}\n\n`;
  }
  // Two trailing spaces: a Markdown hard break, so the cleaner keeps each row on its own line.
  return `\n\n${rows.map((row) => row.cells.filter(Boolean).join(' | ')).join('  \n')}\n\n`;
}

/** Every `<table>` of a page rewritten as Markdown rows (see `tableToMarkdown`). */
export function htmlTablesToMarkdown(markup: string): string {
  return markup.replace(/<table\b[^>]*>([\s\S]*?)<\/table\s*>/gi, (_, inner: string) => tableToMarkdown(inner));
}
