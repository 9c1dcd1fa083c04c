/**
 * The page's script: asks `POST /api/ask` for a streamed answer (server-sent events; a plain JSON
 * answer is read too), shows it with numbered citations, and opens a cited passage highlighted in
 * its document (`GET /api/documents/:source`). Text from the service only ever goes in as text.
 */
interface Citation { n: number; source: string; title: string; heading: string; start: number; end: number; snippet: string; page?: number }
interface Answer { answer: string; citations: Citation[]; mode: 'llm' | 'extractive' | 'abstain'; retrieval: string; memoryMode: string; notices: string[] }
interface DocumentView { source: string; title: string; text: string; highlight: { start: number; end: number } | null; truncated: boolean }
interface ErrorBody { error?: { code?: string; message?: string } }

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const form = $<HTMLFormElement>('ask');
const question = $<HTMLTextAreaElement>('question');
const submit = $<HTMLButtonElement>('submit');
const keyInput = $<HTMLInputElement>('api-key');
const KEY_STORAGE = 'rag512-api-key';

keyInput.value = localStorage.getItem(KEY_STORAGE) ?? '';
keyInput.addEventListener('change', () => localStorage.setItem(KEY_STORAGE, keyInput.value.trim()));

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const key = keyInput.value.trim();
  return key ? { ...extra, authorization: `Bearer ${key}` } : extra;
}

async function errorMessage(response: Response): Promise<string> {
  const body = (await response.json().catch(() => ({}))) as ErrorBody;
  return body.error?.message ?? `The service answered ${response.status}`;
}

/** The service's state, shown discreetly: retrieval mode and memory mode. */
async function showStatus(): Promise<void> {
  const status = $('status');
  try {
    const response = await fetch('/readyz', { headers: headers() });
    const ready = (await response.json()) as { ready: boolean; reason?: string; retrieval?: string | null; memory?: { mode: string } | null };
    const parts = [ready.ready ? 'ready' : `not ready: ${ready.reason ?? 'unknown'}`];
    if (ready.retrieval) parts.push(ready.retrieval === 'lexical' ? 'keyword search' : 'hybrid search');
    if (ready.memory) parts.push(`memory ${ready.memory.mode}`);
    status.textContent = parts.join(' · ');
  } catch {
    status.textContent = 'the service did not answer';
  }
  status.dataset.state = 'done';
}

/** The answer text with each citation marker `[n]` or `[n, m]` made a link to its source. */
function renderAnswer(text: string, citations: Citation[]): void {
  const target = $('answer');
  target.replaceChildren();
  const known = new Set(citations.map((c) => c.n));
  let last = 0;
  for (const match of text.matchAll(/\[(\d+(?:\s*,\s*\d+)*)\]/g)) {
    target.append(text.slice(last, match.index));
    const sup = document.createElement('sup');
    for (const [i, n] of match[1]!.split(',').map((s) => Number(s.trim())).entries()) {
      if (i) sup.append(',');
      const citation = citations.find((c) => c.n === n);
      if (citation && known.has(n)) sup.append(citationLink(citation, `[${n}]`));
      else sup.append(`[${n}]`);
    }
    target.append(sup);
    last = match.index + match[0].length;
  }
  target.append(text.slice(last));
}

function citationLink(citation: Citation, label: string): HTMLAnchorElement {
  const link = document.createElement('a');
  link.href = `#cite-${citation.n}`;
  link.textContent = label;
  link.dataset.citation = String(citation.n);
  link.addEventListener('click', (event) => {
    event.preventDefault();
    void openCitation(citation);
  });
  return link;
}

function showAnswer(answer: Answer): void {
  renderAnswer(answer.mode === 'abstain' ? '' : answer.answer, answer.citations);
  const abstained = $('abstained');
  abstained.hidden = answer.mode !== 'abstain';
  abstained.textContent = answer.mode === 'abstain' ? answer.answer : '';
  $('notices').replaceChildren(...answer.notices.map((notice) => Object.assign(document.createElement('li'), { textContent: notice })));
  $('sources-title').hidden = answer.citations.length === 0;
  $('citations').replaceChildren(
    ...answer.citations.map((citation) => {
      const item = document.createElement('li');
      item.id = `cite-${citation.n}`;
      const where = [citation.title, citation.heading].filter(Boolean).join(' › ');
      item.append(citationLink(citation, `${where} (${citation.source}${citation.page ? `, page ${citation.page}` : ''})`));
      item.append(Object.assign(document.createElement('span'), { className: 'snippet', textContent: citation.snippet }));
      return item;
    }),
  );
  const how = answer.mode === 'llm' ? 'written by the language model' : answer.mode === 'extractive' ? 'quoted from the passages' : 'no answer in the documents';
  $('meta').textContent = `${how} · ${answer.retrieval === 'lexical' ? 'keyword search' : 'hybrid search'} · memory ${answer.memoryMode}`;
}

/** Open the cited document with the passage highlighted and scrolled into view. */
async function openCitation(citation: Citation): Promise<void> {
  const panel = $('document');
  const response = await fetch(`/api/documents/${encodeURIComponent(citation.source)}?start=${citation.start}&end=${citation.end}`, { headers: headers() });
  panel.hidden = false;
  if (!response.ok) {
    $('document-title').textContent = citation.title;
    $('document-text').textContent = await errorMessage(response);
    return;
  }
  const doc = (await response.json()) as DocumentView;
  $('document-title').textContent = doc.title;
  $('document-source').textContent = `${doc.source}${citation.page ? `, page ${citation.page}` : ''}${doc.truncated ? ' (the part around the passage)' : ''}`;
  const body = $('document-text');
  if (!doc.highlight) {
    body.textContent = doc.text;
    return;
  }
  const mark = Object.assign(document.createElement('mark'), { textContent: doc.text.slice(doc.highlight.start, doc.highlight.end) });
  body.replaceChildren(doc.text.slice(0, doc.highlight.start), mark, doc.text.slice(doc.highlight.end));
  mark.scrollIntoView({ block: 'center' });
  panel.dataset.state = 'shown';
}

/** Server-sent events from a fetch body: `event:` and `data:` lines, blank-line separated. */
async function* readEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<{ event: string; data: string }> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '');
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split(/\r?\n/)) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length) yield { event, data: data.join('\n') };
    }
  }
}

async function ask(text: string): Promise<void> {
  const result = $('result');
  result.hidden = false;
  $('document').hidden = true;
  $('abstained').hidden = true;
  $('citations').replaceChildren();
  $('notices').replaceChildren();
  $('sources-title').hidden = true;
  $('meta').textContent = 'searching…';
  $('answer').textContent = '';
  const response = await fetch('/api/ask', {
    method: 'POST',
    headers: headers({ 'content-type': 'application/json', accept: 'text/event-stream, application/json' }),
    body: JSON.stringify({ question: text }),
  });
  if (!response.ok) throw new Error(await errorMessage(response));
  if (!response.headers.get('content-type')?.startsWith('text/event-stream') || !response.body) {
    showAnswer((await response.json()) as Answer);
    return;
  }
  let streamed = '';
  for await (const { event, data } of readEvents(response.body)) {
    if (event === 'token') {
      streamed += (JSON.parse(data) as { text: string }).text;
      $('answer').textContent = streamed;
    } else if (event === 'answer') {
      showAnswer(JSON.parse(data) as Answer);
    } else if (event === 'error') {
      throw new Error((JSON.parse(data) as ErrorBody).error?.message ?? 'the answer failed');
    }
  }
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const text = question.value.trim();
  if (!text) return;
  submit.disabled = true;
  form.dataset.state = 'asking';
  ask(text)
    .catch((error: unknown) => {
      $('meta').textContent = '';
      $('abstained').hidden = false;
      $('abstained').textContent = error instanceof Error ? error.message : String(error);
    })
    .finally(() => {
      submit.disabled = false;
      form.dataset.state = 'answered';
    });
});
question.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey) {
    event.preventDefault();
    form.requestSubmit();
  }
});

void showStatus();
