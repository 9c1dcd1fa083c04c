import { describe, expect, it } from '@jest/globals';
import { pipeline, env } from '@huggingface/transformers';
import { Embedder, QUESTION_MAX_TOKENS } from '../../workers/embedder.js';
import { ModelNotFoundError } from '../../workers/model-config.js';
import { SHARED_MODELS, STATIC_MODEL, TINY_MODEL } from '../helpers/models.js';

const texts = ['How many vacation days do employees get?', 'Short.', 'A much longer sentence about travel reimbursement for international flights and hotels.'];

describe('Embedder', () => {
  it.each([TINY_MODEL, STATIC_MODEL])('pools to the same vectors as the library pipeline ($model)', async (config) => {
    const embedder = await Embedder.load(config);
    // One batch, as the pipeline does: int8 dynamic quantization scales over the whole padded
    // batch, so only equal batches can be compared exactly.
    const ours = await embedder.embed(texts, texts.length);
    env.localModelPath = `${SHARED_MODELS}/`;
    env.allowRemoteModels = false;
    const extractor = await pipeline('feature-extraction', config.model, { dtype: 'q8' });
    const theirs = await extractor(texts, { pooling: 'mean', normalize: true });
    expect(theirs.dims).toEqual([texts.length, embedder.dimensions]);
    const reference = theirs.data as Float32Array;
    let maxDiff = 0;
    for (let i = 0; i < reference.length; i++) maxDiff = Math.max(maxDiff, Math.abs(reference[i]! - ours[i]!));
    expect(maxDiff).toBeLessThan(1e-6);
    const rebatched = await embedder.embed(texts, 1);
    let batchDiff = 0;
    for (let i = 0; i < reference.length; i++) batchDiff = Math.max(batchDiff, Math.abs(rebatched[i]! - ours[i]!));
    expect(batchDiff).toBeLessThan(1e-3);
  });

  it('embeds a question from its first QUESTION_MAX_TOKENS tokens only, so a long one costs no more than a short one', async () => {
    const embedder = await Embedder.load(TINY_MODEL);
    const words = Array.from({ length: 400 }, (_, i) => `word${i}`).join(' ');
    const longer = `${words} and then a great deal more text that cannot change the vector`;
    const a = await embedder.embedQuestion(words);
    expect(Array.from(await embedder.embedQuestion(longer))).toEqual(Array.from(a));
    expect(Array.from(await embedder.embed([words], 1, QUESTION_MAX_TOKENS))).toEqual(Array.from(a));
    // Passages are still embedded up to the model's own limit.
    expect(embedder.maxTokens).toBeGreaterThan(QUESTION_MAX_TOKENS);
    expect(Array.from(await embedder.embed([words]))).not.toEqual(Array.from(a));
  });

  it('fingerprints the model it loaded', async () => {
    const embedder = await Embedder.load(STATIC_MODEL);
    expect(embedder.fingerprint).toMatchObject({ id: STATIC_MODEL.model, dimensions: 512, dtype: 'q8', pooling: 'mean' });
    expect(embedder.fingerprint.fileSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('gives semantically closer texts a higher cosine (static model)', async () => {
    const embedder = await Embedder.load(STATIC_MODEL);
    const v = await embedder.embed(['How many vacation days do employees get?', 'Staff are entitled to 25 days of paid annual leave.', 'The server room temperature must stay below 24 degrees.']);
    const dot = (a: number, b: number) => v.subarray(a * 512, a * 512 + 512).reduce((sum, x, i) => sum + x * v[b * 512 + i]!, 0);
    expect(dot(0, 1)).toBeGreaterThan(dot(0, 2));
  });

  it('names the folder it looked in and the variable to set when the model is missing', async () => {
    const error = await Embedder.load({ ...TINY_MODEL, model: 'Nobody/no-such-model' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelNotFoundError);
    expect((error as Error).message).toContain(`${SHARED_MODELS}/Nobody/no-such-model`);
    expect((error as Error).message).toContain('MODEL_DIR');
  });
});
