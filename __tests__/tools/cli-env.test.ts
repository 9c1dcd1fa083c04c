import { describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { floorsFromEnv, fraction, modelSettings, UsageError } from '../../tools/cli-env.js';
import { DEFAULT_EMBEDDING_CONFIG } from '../../workers/model-config.js';

describe('modelSettings', () => {
  it('takes each flag first, then the variable the server reads', () => {
    const env = { EMBEDDING_MODEL: 'A/b', MODEL_DIR: '/env-models', ALLOW_REMOTE_MODELS: 'true' };
    expect(modelSettings({}, env)).toEqual({ model: 'A/b', modelDir: '/env-models', allowRemote: true });
    expect(modelSettings({ model: 'C/d', 'model-dir': 'flag-models', 'allow-remote': false }, env)).toEqual({
      model: 'C/d', modelDir: path.resolve('flag-models'), allowRemote: false,
    });
  });

  it('leaves the model to the tool and the folder to the default when neither is set', () => {
    expect(modelSettings({}, {})).toEqual({ model: undefined, modelDir: DEFAULT_EMBEDDING_CONFIG.modelDir, allowRemote: false });
    expect(modelSettings({}, {}, '../elsewhere').modelDir).toBe(path.resolve('../elsewhere'));
  });
});

describe('fraction', () => {
  it('reads 0 to 1 and names the flag otherwise', () => {
    expect(fraction(undefined, '--x')).toBeUndefined();
    expect(fraction('0.25', '--x')).toBe(0.25);
    for (const bad of ['', ' ', '1.5', '-0.1', 'half']) {
      expect(() => fraction(bad, '--x')).toThrow(new UsageError(`--x must be a number from 0 to 1, got "${bad}"`));
    }
  });
});

describe('floorsFromEnv', () => {
  it('reads the ABSTAIN_* variables the server reads, only those set', () => {
    expect(floorsFromEnv({})).toEqual({});
    expect(floorsFromEnv({ ABSTAIN_MIN_SIMILARITY: '0.3', ABSTAIN_MIN_COVERAGE: '', ABSTAIN_MAX_UNKNOWN_SHARE: '1' })).toEqual({ minSimilarity: 0.3, maxUnknownShare: 1 });
    expect(floorsFromEnv({ ABSTAIN_MIN_CORPUS_SIMILARITY: '-0.5' })).toEqual({ minCorpusSimilarity: -0.5 });
  });

  it('names the variable and its range when a value is out of range or not a number', () => {
    expect(() => floorsFromEnv({ ABSTAIN_MIN_COVERAGE: '1.5' })).toThrow('ABSTAIN_MIN_COVERAGE must be a number from 0 to 1, got "1.5"');
    expect(() => floorsFromEnv({ ABSTAIN_MIN_SIMILARITY: 'high' })).toThrow(UsageError);
    expect(() => floorsFromEnv({ ABSTAIN_MIN_KEYWORD_MATCH: ' ' })).toThrow(UsageError);
  });
});
