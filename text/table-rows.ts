/**
 * How a table row looks in cleaned text: `| cell | cell |`, one row a line, outer pipes kept so a
 * row with an empty first or last cell still lines up with its header. A table is a run of such
 * lines with a blank line before and after; its first line is the header row. The cleaner writes
 * this shape, the chunker repeats the header from it, and the sentence splitter reads it back.
 */

const ROW = /^\|.*\|$/;
/** A pipe escaped as `\|` is part of a cell, not a border. */
const BORDER = /(?<!\\)\|/;

/** Whether a cleaned line is a table row. */
export function isTableRow(line: string): boolean {
  return ROW.test(line.trim()) && line.trim().length > 1;
}

/** The cells of a row, trimmed, empty ones kept in their place. */
export function tableCells(line: string): string[] {
  const inner = line.trim().replace(/^\|/, '').replace(/(?<!\\)\|$/, '');
  return inner.split(BORDER).map((cell) => cell.trim());
}

/** A row in the cleaned shape; cells with no text stay as empty columns. */
export function formatTableRow(cells: string[]): string {
  return `| ${cells.map((cell) => cell.replace(/\s+/g, ' ').trim()).join(' | ')} |`;
}

/**
 * A data row read with its column names: "Situation: Birthing parent; United States: 20 weeks
 * at full pay". Empty cells go; a cell under an empty header is kept alone.
 */
export function rowWithHeaders(header: string[], cells: string[]): string {
  return cells
    .map((cell, i) => {
      if (!cell) return '';
      const name = header[i]?.trim();
      return name && name.toLowerCase() !== cell.toLowerCase() ? `${name}: ${cell}` : cell;
    })
    .filter(Boolean)
    .join('; ');
}
