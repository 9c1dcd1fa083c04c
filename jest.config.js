/**
 * ESM all the way: ts-jest compiles tests as ES modules, and `.js` import suffixes map back to the `.ts` sources.
 *
 * Two projects. `unit` runs in seconds with nothing but the sources: no model from ../shared/models,
 * no `dist/` build, no worker thread, no child process. `integration` is every other test file, so a
 * new file lands there until someone checks it belongs in `unit`.
 */

/** Test files (under `__tests__/`) that need no model, no build, no worker thread and no child process. */
const UNIT = [
  'answer/answer-stream.test.ts',
  'answer/answerer.test.ts',
  'answer/citation-stream.test.ts',
  'answer/citations.test.ts',
  'answer/extractive.test.ts',
  'answer/follow-up.test.ts',
  'answer/llm-abstain.test.ts',
  'answer/prompt.test.ts',
  'answer/relevance.test.ts',
  'deploy.test.ts',
  'install-size.test.ts',
  'evaluation/metrics.test.ts',
  'evaluation/questions.test.ts',
  'indexing/clean-text.test.ts',
  'indexing/clean-text-blocks.test.ts',
  'indexing/documents.test.ts',
  'indexing/html-to-markdown.test.ts',
  'indexing/readers/docx.test.ts',
  'indexing/readers/pdf-layout.test.ts',
  'indexing/readers/pdf.test.ts',
  'evaluation/evidence-key.test.ts',
  'evaluation/word-overlap.test.ts',
  'evaluation/report.test.ts',
  'indexing/calibrate-floors.test.ts',
  'server/app.test.ts',
  'server/config.test.ts',
  'server/http/admission.test.ts',
  'server/http/api-keys.test.ts',
  'server/http/request-errors.test.ts',
  'server/http/request-log.test.ts',
  'server/http/router.test.ts',
  'server/metrics.test.ts',
  'server/routes/status-reports.test.ts',
  'server/llm.test.ts',
  'server/llm-limit.test.ts',
  'server/llm-stream.test.ts',
  'server/stream-errors.test.ts',
  'server/worker-gate/crash-recovery.test.ts',
  'server/worker-gate/gate-stats.test.ts',
  'server/worker-gate/model-tracking.test.ts',
  'server/worker-gate/recycle-policy.test.ts',
  'server/worker-gate/task-queue.test.ts',
  'store/index-files.test.ts',
  'store/model-fingerprint.test.ts',
  'tools/cli-env.test.ts',
  'workers/document-text.test.ts',
  'workers/fusion.test.ts',
  'workers/lexical-index.test.ts',
  'workers/search-cache.test.ts',
];

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const shared = {
  testEnvironment: '<rootDir>/__tests__/helpers/environment.cjs',
  roots: ['<rootDir>/__tests__'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }] },
};

export default {
  projects: [
    { ...shared, displayName: 'unit', testMatch: UNIT.map((file) => `<rootDir>/__tests__/${file}`) },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', ...UNIT.map((file) => `^<rootDir>/__tests__/${escape(file)}$`)],
    },
  ],
  testTimeout: 60000,
  maxWorkers: 2,
};
