/**
 * How well a follow-up question ("and in Canada?") retrieves, as is and made standalone by the
 * rule of `answer/follow-up.ts`, against a hand-written standalone question as the ceiling.
 * Recall@k: the expected document is among the top k passages' sources.
 */
import { condenseByRule } from '../answer/follow-up.js';
import type { RetrievalMode, SearchOutput, SearchRequest } from '../workers/protocol.js';

/** One two-turn conversation of `eval/follow-ups.json`. */
export interface FollowUpConversation {
  id: string;
  first: string;
  followUp: string;
  /** The follow-up rewritten by hand to stand alone: what a perfect condensation would search for. */
  standalone: string;
  /** The document that answers the follow-up. */
  source: string;
}

export interface FollowUpRow {
  id: string;
  rewritten: string;
  /** Whether the expected document was found in the top k, per way of asking. */
  asIs: boolean;
  rule: boolean;
  standalone: boolean;
}

export interface FollowUpReport {
  k: number;
  mode: RetrievalMode;
  conversations: number;
  /** Conversations where the rule changed the question. */
  ruleFired: number;
  recall: { asIs: number; rule: number; standalone: number };
  /** The same over the conversations whose second question already stands alone (a change of topic): what the rule costs when it fires needlessly. */
  topicChanges: { conversations: number; ruleFired: number; recall: { asIs: number; rule: number } };
  rows: FollowUpRow[];
}

/** A search as the Retriever offers it (the worker's own search, in-process). */
export type FollowUpSearch = (request: SearchRequest & { mode: RetrievalMode }) => Promise<SearchOutput>;

/** Read and check the conversations file's parsed JSON. */
export function parseFollowUps(json: unknown): FollowUpConversation[] {
  if (!Array.isArray(json)) throw new Error('The follow-ups file must be a JSON array');
  return json.map((row: unknown, i) => {
    const r = row as Record<string, unknown>;
    for (const field of ['id', 'first', 'followUp', 'standalone', 'source']) {
      if (typeof r?.[field] !== 'string' || !r[field]) throw new Error(`follow-ups[${i}].${field} must be a non-empty string`);
    }
    return r as unknown as FollowUpConversation;
  });
}

export async function evaluateFollowUps(search: FollowUpSearch, conversations: FollowUpConversation[], k = 5, mode: RetrievalMode = 'hybrid'): Promise<FollowUpReport> {
  const found = async (query: string, source: string) => (await search({ query, topK: k, mode })).hits.slice(0, k).some((hit) => hit.source === source);
  const rows: FollowUpRow[] = [];
  for (const c of conversations) {
    const rewritten = condenseByRule(c.followUp, [{ role: 'user', content: c.first }]);
    rows.push({ id: c.id, rewritten, asIs: await found(c.followUp, c.source), rule: await found(rewritten, c.source), standalone: await found(c.standalone, c.source) });
  }
  const share = (of: FollowUpRow[], pick: (row: FollowUpRow) => boolean) => (of.length ? Number((of.filter(pick).length / of.length).toFixed(3)) : 0);
  const fired = (of: FollowUpRow[]) => of.filter((row) => row.rewritten !== byId.get(row.id)!.followUp).length;
  const byId = new Map(conversations.map((c) => [c.id, c]));
  const changes = rows.filter((row) => byId.get(row.id)!.standalone === byId.get(row.id)!.followUp);
  return {
    k,
    mode,
    conversations: rows.length,
    ruleFired: fired(rows),
    recall: { asIs: share(rows, (r) => r.asIs), rule: share(rows, (r) => r.rule), standalone: share(rows, (r) => r.standalone) },
    topicChanges: { conversations: changes.length, ruleFired: fired(changes), recall: { asIs: share(changes, (r) => r.asIs), rule: share(changes, (r) => r.rule) } },
    rows,
  };
}
