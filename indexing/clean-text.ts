import { formatTableRow, isTableRow, tableCells } from '../text/table-rows.js';
import { htmlToMarkdown } from './html-to-markdown.js';
import { isTableRule, markdownBlocks } from './markdown-blocks.js';

/** A source document reduced to the readable text a person sees, with its section structure. */
export interface CleanDocument {
  title: string;
  text: string;
  sections: Section[];
}

/** A run of body text under one heading trail; offsets into `CleanDocument.text`. */
export interface Section {
  headings: string[];
  start: number;
  end: number;
  /** The page it is on (1-based), for formats with pages (PDF); such a section never spans two. */
  page?: number;
}

/** The text formats `cleanDocument` reads (PDF and DOCX readers end in one of them, or build sections themselves). */
export type DocumentFormat = 'markdown' | 'html' | 'text';

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', mdash: '—', ndash: '–', hellip: '…', rsquo: '’', lsquo: '‘', rdquo: '”', ldquo: '“', copy: '©' };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name[0] === '#') {
      const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

function frontMatter(source: string): { body: string; title?: string } {
  const match = /^---[ \t]*\n([\s\S]*?)\n(?:---|\.\.\.)[ \t]*(?:\n|$)/.exec(source);
  if (!match) return { body: source };
  const title = yamlTitle(match[1] ?? '');
  return { body: source.slice(match[0].length), ...(title ? { title } : {}) };
}

/**
 * The `title` of YAML front matter, on one line or, as Prettier wraps long ones, folded over the
 * indented lines after `title:` (a plain scalar, or a `>`/`|` block); quotes go.
 */
function yamlTitle(yaml: string): string | undefined {
  const lines = yaml.split('\n');
  const at = lines.findIndex((line) => line.startsWith('title:'));
  if (at < 0) return undefined;
  const parts = [lines[at]!.slice('title:'.length).trim().replace(/^[>|][+-]?$/, '')];
  for (const line of lines.slice(at + 1)) {
    if (!/^[ \t]+\S/.test(line)) break;
    parts.push(line.trim());
  }
  const title = parts.filter(Boolean).join(' ').replace(/^(['"])(.*)\1$/, '$2').trim();
  return title || undefined;
}

/** Liquid/Jekyll/Nunjucks tags: comment blocks go whole, other tags go and leave their text. */
function stripTemplateTags(text: string): string {
  return text
    .replace(/\{%-?\s*comment\s*-?%\}[\s\S]*?\{%-?\s*endcomment\s*-?%\}/g, '')
    .replace(/\{%[\s\S]*?%\}/g, '')
    .replace(/\{\{[\s\S]*?\}\}/g, '')
    .replace(/\{#[\s\S]*?#\}/g, '');
}

const AUTOLINK = /<((?:https?|mailto):[^<>\s]+|[^\s<>@]+@[^\s<>@]+)>/g;

/** Links and images keep their text and lose their targets; they may wrap across lines. */
function stripLinkTargets(markup: string): string {
  return markup
    .replace(/!\[([^\]]*)\]\((?:[^()]|\([^)]*\))*\)/g, '$1')
    .replace(/\[([^\]]+)\]\((?:[^()]|\([^)]*\))*\)/g, '$1')
    .replace(/\[([^\]]+)\]\[[^\]]*\]/g, '$1');
}

function cleanInline(line: string): string {
  return decodeEntities(
    line
      .replace(/<((?:https?|mailto):[^>\s]+)>/g, '$1')
      .replace(/\{:[^}]*\}/g, '')
      .replace(/`([^`]+)`/g, '$1')
      .replace(/(\*\*|__)(?=\S)([\s\S]*?\S)\1/g, '$2')
      .replace(/(^|[^\w*])\*(?=\S)([^*]*?\S)\*(?!\w)/g, '$1$2')
      .replace(/(^|[^\w])_(?=\S)([^_]*?\S)_(?!\w)/g, '$1$2')
      .replace(/~~(.+?)~~/g, '$1'),
  )
    .replace(/\\\|/g, '|')
    .replace(/[ \t]+/g, ' ')
    .trim();
}

/** A cell's text in the cleaned row shape: its pipes escaped (`\|`), so that they are no border to the chunker and the sentence reader. */
function cellText(cell: string): string {
  return cleanInline(cell).replace(/\|/g, '\\|');
}

/**
 * A line of code as cleaned text: a line that the chunker and the sentence reader would take for a
 * table row (`| a | b |`) or a row of cells (`ls | wc -l`) gets its pipes escaped (`\|`), so code is
 * never read, repeated or quoted as a table; other code stays as it is.
 */
function codeLine(line: string): string {
  return isTableRow(line) || line.includes(' | ') ? line.replace(/\|/g, '\\|') : line;
}

const HEADING = /^(#{1,6})[ \t]+(.*)$/;

/** A heading's text without its closing hashes and the blanks around them, by string operations (the regex for it was cubic on long runs of blanks). */
function headingText(text: string): string {
  const blank = (c: string | undefined) => c === ' ' || c === '\t';
  let end = text.length;
  while (end > 0 && blank(text[end - 1])) end--;
  while (end > 0 && text[end - 1] === '#') end--;
  while (end > 0 && blank(text[end - 1])) end--;
  return text.slice(0, end);
}
const FENCE = /^[ \t]*(```|~~~)/;
const HORIZONTAL_RULE = /^[ \t]*([-*_])([ \t]*\1){2,}[ \t]*$/;
const LINK_DEFINITION = /^[ \t]*\[[^\]]+\]:[ \t]*\S+/;
const ATTRIBUTE_LINE = /^[ \t]*\{:.*\}[ \t]*$/;

/** A heading in the trail, with where its line sits and whether any section names it yet. */
interface OpenHeading {
  level: number;
  text: string;
  start: number;
  named: boolean;
}

/**
 * Turn one Markdown body (front matter and templates already gone) into clean text and sections.
 * `leadingTitle` is an H1 that opens the body, the page's title by Markdown custom.
 */
function markdownToText(body: string, title: string): CleanDocument & { leadingTitle?: string } {
  const out: string[] = [];
  let length = 0;
  const trail: OpenHeading[] = [];
  const sections: Section[] = [];
  let sectionStart = 0;
  let hasBody = false;
  let leadingTitle: string | undefined;
  let inFence = false;
  // A heading equal to the title at the top of the trail would only repeat the title.
  const trailTexts = () => trail.map((h) => h.text).filter((h, i) => !(i === 0 && h.toLowerCase() === title.toLowerCase()));
  const closeSection = () => {
    if (hasBody) {
      sections.push({ headings: trailTexts(), start: sectionStart, end: length });
      for (const heading of trail) heading.named = true;
    }
    hasBody = false;
  };
  // A heading with no text and no subheading under it would be in no chunk: its line becomes a section.
  const popHeading = () => {
    const heading = trail[trail.length - 1]!;
    const headings = trailTexts();
    if (!heading.named && headings[headings.length - 1] === heading.text) {
      sections.push({ headings, start: heading.start, end: heading.start + heading.text.length });
      for (const open of trail) open.named = true;
    }
    trail.pop();
  };
  const emit = (line: string) => {
    if (line === '' && (out.length === 0 || out[out.length - 1] === '')) return;
    out.push(line);
    length += line.length + 1;
  };
  const emitBody = (line: string) => {
    if (line.trim()) hasBody = true;
    emit(line);
  };
  const lines = markdownBlocks(body.split('\n'));
  lines.forEach((raw, i) => {
    if (FENCE.test(raw)) {
      inFence = !inFence;
      return;
    }
    if (inFence) return emitBody(codeLine(raw.trimEnd()));
    const next = lines[i + 1] ?? '';
    const setext = raw.trim() !== '' && !/^[ \t]*([-*+]|\d+\.)[ \t]/.test(raw) && /^[ \t]*(=+|-+)[ \t]*$/.test(next) && !isTableRule(raw);
    const atx = HEADING.exec(raw);
    if (atx || setext) {
      const level = atx ? (atx[1] ?? '#').length : next.trim().startsWith('=') ? 1 : 2;
      const text = cleanInline(atx ? headingText(atx[2] ?? '') : raw);
      if (setext) lines[i + 1] = '';
      if (!text) return;
      if (level === 1 && out.length === 0) leadingTitle = text;
      closeSection();
      while (trail.length && (trail[trail.length - 1]?.level ?? 0) >= level) popHeading();
      if (out.length && out[out.length - 1] !== '') emit('');
      trail.push({ level, text, start: length, named: false });
      emit(text);
      sectionStart = length;
      return;
    }
    if (isTableRule(raw) || HORIZONTAL_RULE.test(raw) || LINK_DEFINITION.test(raw) || ATTRIBUTE_LINE.test(raw)) return;
    emitBody(isTableRow(raw) ? formatTableRow(tableCells(raw).map(cellText)) : cleanInline(raw));
  });
  while (out.length && out[out.length - 1] === '') {
    out.pop();
    length -= 1;
  }
  closeSection();
  while (trail.length) popHeading();
  const text = out.join('\n');
  return { title, text, sections: sections.map((s) => trimSection(text, s)).filter((s) => s.end > s.start), ...(leadingTitle ? { leadingTitle } : {}) };
}

function trimSection(text: string, section: Section): Section {
  let { start, end } = section;
  end = Math.min(end, text.length);
  while (start < end && /\s/.test(text[start] ?? '')) start++;
  while (end > start && /\s/.test(text[end - 1] ?? '')) end--;
  return { ...section, start, end };
}

/** A title from a file name: `remote-work_policy.md` is "Remote work policy". */
export function titleFromPath(relativePath: string): string {
  const base = relativePath.split('/').pop() ?? relativePath;
  const stem = base.replace(/\.[^.]+$/, '').replace(/[-_]+/g, ' ').trim();
  return stem ? stem[0]!.toUpperCase() + stem.slice(1) : relativePath;
}

/**
 * Clean one document: front matter (its `title` kept), template tags, HTML markup and link
 * targets go; headings, list items, table cells and code text stay as plain lines.
 */
export function cleanDocument(source: string, format: DocumentFormat, relativePath: string): CleanDocument {
  // Runs of sentence marks (dot leaders in a table of contents) shrink to three: they carry
  // nothing more, and the chunker's sentence split is quadratic in the length of such a run.
  const normalized = source.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n').replace(/[.!?]{4,}/g, (run) => run.slice(0, 3));
  if (format === 'text') {
    const text = normalized.replace(/[ \t]+$/gm, '').replace(/\n{3,}/g, '\n\n').trim();
    return { title: titleFromPath(relativePath), text, sections: text ? [{ headings: [], start: 0, end: text.length }] : [] };
  }
  const { body, title: metaTitle } = frontMatter(normalized);
  const templated = stripTemplateTags(body);
  // In Markdown, an autolink (`<https://…>`, `<someone@example.com>`) is text, not a tag.
  const converted = format === 'html' ? htmlToMarkdown(templated, 'collapse') : htmlToMarkdown(templated.replace(AUTOLINK, '$1'), 'keep');
  const markup = stripLinkTargets(converted.markdown);
  const htmlTitle = format === 'html' ? converted.title : undefined;
  const provisional = metaTitle ?? (htmlTitle || undefined);
  const parsed = markdownToText(markup, provisional ?? '');
  if (provisional) return { title: parsed.title, text: parsed.text, sections: parsed.sections };
  // A heading further down names a part of the page, not the page: it stays a heading.
  const title = parsed.leadingTitle ?? titleFromPath(relativePath);
  const reparsed = markdownToText(markup, title);
  return { title, text: reparsed.text, sections: reparsed.sections };
}
