import { describe, expect, it } from '@jest/globals';
import { condensationMessages, condenseByRule, leansOnHistory, standaloneQuestion, type Turn } from '../../answer/follow-up.js';
import type { AnswerLlm } from '../../answer/ports.js';
import { silentLogger } from '../../server/logger.js';

const HISTORY: Turn[] = [
  { role: 'user', content: 'How many vacation days do employees get?' },
  { role: 'assistant', content: 'Full-time employees get 25 days [1].' },
];

describe('follow-up questions', () => {
  it.each([
    ['and for contractors?', true],
    ['What about part-time staff?', true],
    ['Does it carry over?', true],
    ['Who approves them?', true],
    ['How do I report a lost laptop to the security team?', false],
  ])('tells whether "%s" leans on the earlier turns (%s)', (question, leans) => {
    expect(leansOnHistory(question)).toBe(leans);
  });

  it('borrows the previous question\'s missing content words only when the question leans on it', () => {
    expect(condenseByRule('and for contractors?', HISTORY)).toBe('and for contractors? (vacation days employees)');
    expect(condenseByRule('How do I report a lost laptop to the security team?', HISTORY)).toBe('How do I report a lost laptop to the security team?');
    expect(condenseByRule('and for contractors?', [])).toBe('and for contractors?');
  });

  it('bounds the condensation prompt whatever the history', () => {
    const long: Turn[] = Array.from({ length: 50 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: 'word '.repeat(10_000) }));
    const size = condensationMessages('and then?', long).reduce((sum, m) => sum + m.content.length, 0);
    expect(size).toBeLessThan(4 * 700 + 1000);
  });

  it('asks the LLM once, cleans its rewrite, and falls back to the rule when it fails', async () => {
    const asked: number[] = [];
    const llm = (text: string | Error): AnswerLlm => ({
      complete: async () => {
        asked.push(1);
        if (text instanceof Error) throw text;
        return { text };
      },
    });
    expect(await standaloneQuestion('and for contractors?', HISTORY, llm('Question: "How many vacation days do contractors get?"\nextra'), silentLogger)).toEqual({ question: 'How many vacation days do contractors get?', how: 'llm' });
    expect(await standaloneQuestion('and for contractors?', HISTORY, llm(new Error('down')), silentLogger)).toEqual({ question: 'and for contractors? (vacation days employees)', how: 'rule' });
    expect(await standaloneQuestion('and for contractors?', [], llm('unused'), silentLogger)).toEqual({ question: 'and for contractors?', how: 'as-is' });
    expect(asked).toHaveLength(2);
  });
});
