import { describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { fraction, modelSettings, UsageError } from '../../tools/cli-env.js';
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
