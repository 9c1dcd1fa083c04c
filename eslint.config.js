import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * The import graph (README "How the code is laid out"): which folder may import which. One entry
 * per folder, because a later config object replaces a rule's options instead of merging them.
 * Type-only imports are allowed where the rule says so: they vanish at run time.
 */
const HEAVY = ['@huggingface/transformers', 'onnxruntime-node', 'vectra', 'vectra/*'];
const HTTP_AND_THREADS = ['koa', 'koa/*', 'ky', 'piscina'];
/** The build's document readers: only indexing/ loads them, and never the server or the worker. */
const DOCUMENT_READERS = ['pdfjs-dist', 'pdfjs-dist/*', 'mammoth', 'mammoth/*', 'htmlparser2', 'htmlparser2/*'];
const ours = (...folders) => folders.map((folder) => `**/${folder}/**`);

const importGraph = {
  'server/**/*.ts': [
    { group: [...HEAVY], message: 'The main thread never loads the model or vectra: that lives behind the worker.' },
    { group: [...DOCUMENT_READERS], message: 'Document readers (PDF, DOCX, HTML) run at build time only, in indexing/.' },
    { group: ours('indexing', 'evaluation', 'tools'), message: 'The server does not depend on the build pipeline, the evaluation or the tools.' },
    { group: [...ours('workers'), '!**/workers/model-config.js'], allowTypeImports: true, message: 'The server imports only types from workers/ (and model-config): the worker\'s code runs in the worker.' },
  ],
  'answer/**/*.ts': [
    { group: [...HEAVY, ...HTTP_AND_THREADS, ...DOCUMENT_READERS], message: 'answer/ is pure functions of hits: no HTTP, no threads, no model.' },
    { group: ours('server', 'indexing', 'evaluation', 'tools'), message: 'answer/ defines the ports it needs; the server implements them.' },
    { group: ours('workers'), allowTypeImports: true, message: 'answer/ imports only the protocol\'s types from workers/.' },
  ],
  'text/**/*.ts': [
    { group: [...HEAVY, ...HTTP_AND_THREADS, ...DOCUMENT_READERS, '../**'], message: 'text/ (words, stems, sentences) depends on nothing of ours: every thread and the build share it.' },
  ],
  'workers/**/*.ts': [
    { group: [...HTTP_AND_THREADS], message: 'The worker thread needs no HTTP client or server.' },
    { group: [...DOCUMENT_READERS], message: 'Document readers (PDF, DOCX, HTML) run at build time only, in indexing/.' },
    { group: ours('server', 'answer', 'indexing', 'evaluation', 'tools'), message: 'The worker imports only store/ and text/.' },
  ],
  'store/**/*.ts': [
    { group: [...HEAVY.filter((name) => !name.startsWith('vectra')), ...HTTP_AND_THREADS, ...DOCUMENT_READERS, '../**'], message: 'store/ (the index on disk) imports nothing of ours.' },
  ],
  'indexing/**/*.ts': [
    { group: [...HTTP_AND_THREADS], message: 'The build pipeline runs in its own process: no HTTP, no pool.' },
    { group: ours('server', 'tools'), message: 'indexing/ is a library: it does not depend on the server or the CLIs.' },
  ],
  'web/**/*.ts': [
    { group: ['*', '../**', './**'], message: 'The page\'s script runs in the browser as one file: it imports nothing.' },
  ],
  'evaluation/**/*.ts': [
    { group: [...HTTP_AND_THREADS], message: 'The evaluation runs in-process: no HTTP, no pool.' },
    { group: ours('server', 'tools'), message: 'evaluation/ is a library: it does not depend on the server or the CLIs.' },
  ],
};

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'data/', 'scratch/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ['web/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-restricted-imports': 'off',
    },
  },
  ...Object.entries(importGraph).map(([files, patterns]) => ({
    files: [files],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns }] },
  })),
  {
    // no-restricted-imports sees only static imports; the readers are loaded with import().
    files: ['server/**/*.ts', 'workers/**/*.ts', 'answer/**/*.ts', 'store/**/*.ts', 'text/**/*.ts'],
    rules: {
      'no-restricted-syntax': ['error', {
        selector: 'ImportExpression[source.value=/^(pdfjs-dist|mammoth|htmlparser2)(\\/|$)/]',
        message: 'Document readers (PDF, DOCX, HTML) run at build time only, in indexing/.',
      }],
    },
  },
);
