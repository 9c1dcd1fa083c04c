import { Tokenizer } from 'htmlparser2';
import { formatTableRow } from '../text/table-rows.js';

/** Elements whose content is never text a reader sees. */
const DROPPED = new Set(['script', 'style', 'template', 'svg', 'noscript']);
/** Elements that stand as blocks of their own: a paragraph break before and after. */
const BLOCKS = new Set([
  'p', 'div', 'section', 'article', 'main', 'aside', 'header', 'footer', 'nav', 'blockquote', 'pre', 'dl', 'dd', 'dt',
  'summary', 'details', 'figure', 'figcaption', 'form', 'fieldset', 'address', 'hr', 'ul', 'ol', 'body', 'caption',
]);
const HEADING = /^h([1-6])$/;

/** How text whitespace is read: collapsed as a browser does (HTML pages), or kept (HTML inside Markdown, whose lines matter). */
export type WhitespaceMode = 'collapse' | 'keep';

export interface HtmlConversion {
  /** Markdown the cleaner reads: `#` headings, pipe table rows, `- ` list items, blank lines between blocks. */
  markdown: string;
  /** The text of the first `<title>`, whitespace collapsed. */
  title?: string;
}

interface TableRow {
  header: boolean;
  cells: string[];
}

interface OpenTable {
  rows: TableRow[];
  hasHead: boolean;
  /** Cells of the row being read, and the text of the cell being read. */
  row?: { cells: string[]; header: boolean };
  cell?: string[];
}

/**
 * Text inside Markdown output must not be read back as an entity the parser already decoded:
 * `&` is written as `&amp;`, which the cleaner decodes again, once. A no-break space is a space.
 */
function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/[\u00a0\ue000]/g, ' ');
}

/** `|`: see `ontextentity`. */
const PIPE = 0x7c;

/** Where a `<br>` stood, until its line is known: see `resolveBreaks`. */
const BREAK = '\ue000';

/**
 * A `<br>` is a hard break (two trailing spaces), except on a line with a pipe: a Markdown
 * table row must stay on one line, so there it is a space.
 */
function resolveBreaks(markdown: string): string {
  if (!markdown.includes(BREAK)) return markdown;
  return markdown
    .split('\n')
    .map((line) => (line.includes(BREAK) ? line.replaceAll(BREAK, line.includes('|') ? ' ' : '  \n') : line))
    .join('\n');
}

/**
 * HTML to the Markdown the cleaner reads, in one linear pass of htmlparser2's tokenizer:
 * headings become `#` lines, tables pipe rows (see `tableToMarkdown`), list items `- ` lines,
 * blocks paragraph breaks and `<br>` a hard break (two trailing spaces), or a space inside a
 * table cell or heading. Scripts, styles, templates, SVG and comments go; entities are decoded
 * by the tokenizer. The tokenizer and not htmlparser2's `Parser`: the parser keeps its open
 * elements in an array it shifts and unshifts, quadratic in the nesting depth (200,000 nested
 * `<div>`s took a minute), and this conversion needs no element tree, only tags in order.
 */
export function htmlToMarkdown(html: string, whitespace: WhitespaceMode): HtmlConversion {
  const state = new Conversion(whitespace);
  let tagName = '';
  const noop = () => undefined;
  const tokenizer = new Tokenizer(
    { decodeEntities: true },
    {
      onopentagname: (start, end) => void (tagName = html.slice(start, end).toLowerCase()),
      onopentagend: () => state.open(tagName),
      onselfclosingtag: () => state.open(tagName),
      onclosetag: (start, end) => state.close(html.slice(start, end).toLowerCase()),
      ontext: (start, end) => state.text(html.slice(start, end)),
      ontextentity: (codepoint) => (codepoint === PIPE ? state.pipe() : state.text(String.fromCodePoint(codepoint))),
      onattribdata: noop, onattribentity: noop, onattribend: noop, onattribname: noop, oncdata: noop,
      oncomment: noop, ondeclaration: noop, onend: noop, onprocessinginstruction: noop,
    },
  );
  tokenizer.write(html);
  tokenizer.end();
  return state.finish();
}

/** What is open while the tokens stream past, and the Markdown written so far. */
class Conversion {
  private readonly out: string[] = [];
  private readonly tables: OpenTable[] = [];
  private dropped = 0;
  private inSvg = 0;
  private pre = 0;
  private heading: { level: number; parts: string[] } | undefined;
  private title: string[] | undefined;
  private titleText: string | undefined;

  constructor(private readonly whitespace: WhitespaceMode) {}

  /** Inside a table cell or a heading, where everything stays on one line. */
  private inline(): boolean {
    return this.tables.length > 0 || this.heading !== undefined;
  }

  private write(text: string): void {
    const table = this.tables[this.tables.length - 1];
    // Text between cells (whitespace in the markup) belongs to no cell.
    if (table) table.cell?.push(text);
    else if (this.heading) this.heading.parts.push(text);
    else if (!this.redundant(text)) this.out.push(text);
  }

  /**
   * A paragraph break after another, or a blank between two: nested and empty blocks would
   * otherwise write runs of hundreds of thousands of blank lines for the cleaner to read.
   */
  private redundant(text: string): boolean {
    const last = this.out[this.out.length - 1];
    if (last !== '\n\n') return false;
    return text === '\n\n' || (this.whitespace === 'collapse' && !text.trim() && !text.includes(BREAK));
  }

  open(name: string): void {
    // The page's title sits in <head>; an SVG's <title> is not the page's.
    if (name === 'title' && this.titleText === undefined && !this.inSvg) this.title = [];
    if (name === 'svg') this.inSvg++;
    if (DROPPED.has(name)) this.dropped++;
    if (this.dropped) return;
    const level = HEADING.exec(name);
    if (level && !this.tables.length) {
      this.closeHeading();
      this.heading = { level: Number(level[1]), parts: [] };
    } else if (name === 'table' && !this.heading) this.tables.push({ rows: [], hasHead: false });
    else if (name === 'br') this.write(this.inline() ? ' ' : BREAK);
    else if (name === 'li') this.write(this.inline() ? ' ' : '\n- ');
    else if (name === 'pre') {
      this.pre++;
      // A code fence: the cleaner keeps its lines as they are instead of joining them as a paragraph.
      this.write(this.inline() ? ' ' : '\n\n```\n');
    } else if (BLOCKS.has(name)) this.write(this.inline() ? ' ' : '\n\n');
    openTablePart(this.tables[this.tables.length - 1], name);
  }

  text(text: string): void {
    if (this.title) {
      this.title.push(text);
      return;
    }
    if (this.dropped) return;
    const keep = this.whitespace === 'keep' || (this.pre > 0 && !this.inline());
    this.write(escapeText(keep ? text : text.replace(/\s+/g, ' ')));
  }

  /**
   * A pipe written as an entity (`&#124;`, `&vert;`) is text, never a table border: it is written
   * escaped (`\|`), as GFM writes a pipe inside a cell, and the cleaner unescapes it once the
   * cells are split. Inside `<pre>` it is code, written as it is.
   */
  pipe(): void {
    this.text(this.pre > 0 && !this.inline() ? '|' : '\\|');
  }

  close(name: string): void {
    if (name === 'title' && this.title) {
      this.titleText = this.title.join('').replace(/\s+/g, ' ').trim();
      this.title = undefined;
      return;
    }
    if (name === 'svg') this.inSvg = Math.max(0, this.inSvg - 1);
    if (DROPPED.has(name)) {
      this.dropped = Math.max(0, this.dropped - 1);
      return;
    }
    if (this.dropped) return;
    if (HEADING.test(name) && this.heading) return this.closeHeading();
    if (name === 'pre') {
      this.pre = Math.max(0, this.pre - 1);
      return this.write(this.inline() ? ' ' : '\n```\n\n');
    }
    const table = this.tables[this.tables.length - 1];
    if (name === 'table' && table) return this.closeTable(table);
    closeTablePart(table, name);
    if (BLOCKS.has(name)) this.write(this.inline() ? ' ' : '\n\n');
  }

  private closeHeading(): void {
    if (!this.heading) return;
    const text = this.heading.parts.join('').replace(/\s+/g, ' ').trim();
    this.out.push(text ? `\n\n${'#'.repeat(this.heading.level)} ${text}\n\n` : '\n\n');
    this.heading = undefined;
  }

  private closeTable(table: OpenTable): void {
    closeTablePart(table, 'tr');
    this.tables.pop();
    this.write(this.tables.length ? ` ${tableText(table)} ` : tableToMarkdown(table));
  }

  /** The Markdown, with whatever the document left open closed. */
  finish(): HtmlConversion {
    for (let table = this.tables[this.tables.length - 1]; table; table = this.tables[this.tables.length - 1]) this.closeTable(table);
    this.closeHeading();
    return { markdown: resolveBreaks(this.out.join('')), ...(this.titleText ? { title: this.titleText } : {}) };
  }
}

function openTablePart(table: OpenTable | undefined, name: string): void {
  if (!table) return;
  if (name === 'thead') table.hasHead = true;
  else if (name === 'tr') {
    // An unclosed row or cell ends where the next one starts.
    closeTablePart(table, 'tr');
    table.row = { cells: [], header: true };
  } else if (name === 'td' || name === 'th') {
    closeTablePart(table, 'td');
    table.row ??= { cells: [], header: true };
    if (name === 'td') table.row.header = false;
    table.cell = [];
  }
}

function closeTablePart(table: OpenTable | undefined, name: string): void {
  if (!table) return;
  if ((name === 'td' || name === 'th') && table.cell && table.row) {
    table.row.cells.push(table.cell.join('').replace(/\s+/g, ' ').replace(/(?<!\\)\|/g, '\\|').trim());
    table.cell = undefined;
  } else if (name === 'tr' && table.row) {
    closeTablePart(table, 'td');
    if (table.row.cells.some(Boolean)) table.rows.push({ header: table.row.header && table.row.cells.length > 0, cells: table.row.cells });
    table.row = undefined;
  }
}

/** A table nested in a cell: its cells' text, in order, in the outer cell. */
function tableText(table: OpenTable): string {
  return table.rows.flatMap((row) => row.cells).filter(Boolean).join(' ');
}

/**
 * One HTML table as Markdown: a pipe table when its first row is all `<th>` (or sits in
 * `<thead>`), so the header can be repeated and quoted with each row; otherwise each row on a
 * line of its own, cells between pipes but no outer ones, since without a header no row may be
 * read as column names. Blank lines around it keep it out of the paragraphs on either side.
 */
function tableToMarkdown(table: OpenTable): string {
  const rows = table.rows;
  const first = rows[0];
  if (!first) return '\n\n';
  if (first.header || table.hasHead) {
    const width = rows.reduce((widest, row) => Math.max(widest, row.cells.length), 0);
    const pad = (cells: string[]) => [...cells, ...Array<string>(width - cells.length).fill('')];
    const lines = [formatTableRow(pad(first.cells)), formatTableRow(Array<string>(width).fill('---')), ...rows.slice(1).map((row) => formatTableRow(pad(row.cells)))];
    return `\n\n${lines.join('\n')}\n\n`;
  }
  // Two trailing spaces: a Markdown hard break, so the cleaner keeps each row on its own line.
  return `\n\n${rows.map((row) => row.cells.filter(Boolean).join(' | ')).join('  \n')}\n\n`;
}
