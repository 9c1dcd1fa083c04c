import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Service } from '../../server/service.js';
import { FakeLlm } from '../helpers/fake-llm.js';
import { startSampleServices, type SampleServices } from '../helpers/sample-services.js';
/** Debian's chromium (`apt-get install chromium`); playwright-core never downloads a browser. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('the web page in a real browser', () => {
  const llm = new FakeLlm();
  let services: SampleServices;
  let service: Service;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`No browser at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
    await llm.start();
    services = await startSampleServices(llm.url);
    service = services.withoutLlm;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(`${message.text()} ${message.location().url}`);
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await services?.close();
    await llm.stop();
  });

  const ask = async (question: string) => {
    await page.fill('#question', question);
    await page.click('#submit');
    // The form says when the answer is complete (the page's CSP forbids evaluating test code in it).
    await page.waitForSelector('#ask[data-state="answered"]');
  };

  it('serves the page to a browser, and the JSON description to other clients', async () => {
    const response = await page.goto(service.url);
    expect(response?.headers()['content-type']).toMatch(/^text\/html/);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.waitForSelector('#status[data-state="done"]');
    expect(await page.textContent('#status')).toMatch(/^ready/);
    const json = await fetch(service.url);
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await json.json()).toMatchObject({ name: 'rag512' });
  });

  it('answers a question with numbered citations, and opens a cited passage highlighted in its document', async () => {
    await ask('How many PTO days do full-time employees get each year?');
    expect(await page.isHidden('#abstained')).toBe(true);
    expect(await page.textContent('#answer')).toMatch(/20 days/);
    const citations = page.locator('#citations li');
    expect(await citations.count()).toBeGreaterThan(0);
    expect(await page.textContent('#citations')).toContain('leave/vacation-and-pto.md');
    expect(await page.textContent('#meta')).toMatch(/hybrid search · memory normal/);

    // Open the first citation of the answer's text: the document panel shows the passage marked.
    await page.locator('#answer sup a').first().click();
    await page.waitForSelector('#document mark');
    const marked = await page.textContent('#document mark');
    const snippetSource = await page.textContent('#document-source');
    expect(marked!.length).toBeGreaterThan(40);
    expect(snippetSource).toMatch(/\.md/);
    const whole = await page.textContent('#document-text');
    expect(whole!.length).toBeGreaterThan(marked!.length);
    expect(whole).toContain(marked!);
    expect(await page.locator('#document mark').isVisible()).toBe(true);
  });

  it('says plainly when the documents do not hold the answer', async () => {
    await ask('What is the capital of Mongolia?');
    expect(await page.isVisible('#abstained')).toBe(true);
    expect(await page.textContent('#abstained')).not.toBe('');
    expect(await page.locator('#citations li').count()).toBe(0);
    expect(await page.textContent('#meta')).toMatch(/no answer in the documents/);
  });

  it('streams an answer from the LLM as it is written, then shows its checked citations', async () => {
    const first = 'Full-time employees accrue 20 days of PTO every year';
    // The second piece comes 5 s after the first: long enough that a busy machine still sees the page between them.
    llm.script = [{ chunks: [first, ' [1]. New hires can book it after 60 days [2].'], chunkDelayMs: 5000 }];
    await page.goto(services.withLlm.url);
    await page.fill('#question', 'How many PTO days do full-time employees get each year?');
    await page.click('#submit');
    // The first piece is on the page while the answer is still being written.
    await page.waitForSelector(`#answer:has-text("${first}")`);
    expect(await page.getAttribute('#ask', 'data-state')).toBe('asking');
    await page.waitForSelector('#ask[data-state="answered"]');
    expect(await page.textContent('#answer')).toBe('Full-time employees accrue 20 days of PTO every year [1]. New hires can book it after 60 days [2].');
    expect(await page.locator('#answer sup a').count()).toBe(2);
    expect(await page.locator('#citations li').count()).toBe(2);
    expect(await page.textContent('#meta')).toMatch(/^written by the language model/);
  });

  it('ran without a script error', () => {
    expect(pageErrors).toEqual([]);
  });
});
