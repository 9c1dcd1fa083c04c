import type { ModelFingerprint } from '../store/manifest.js';
import { assertModelPresent, ModelNotFoundError, modelFileSha256, modelFolder, modelMaxTokens, readModelSource, type EmbeddingConfig, type ModelFileHash } from './model-config.js';

type Transformers = typeof import('@huggingface/transformers');
type Tokenizer = Awaited<ReturnType<Transformers['AutoTokenizer']['from_pretrained']>>;
type Model = Awaited<ReturnType<Transformers['AutoModel']['from_pretrained']>>;

/**
 * ONNX Runtime session options. One intra-op thread: the worker is one thread of a 2-core box,
 * and the default pool spins idle cores. No CPU memory arena: with varied input lengths it keeps
 * every size it ever allocated, growing RSS by hundreds of MB.
 */
export const SESSION_OPTIONS = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  enableCpuMemArena: false,
  enableMemPattern: false,
} as const;

let transformersModule: Promise<Transformers> | undefined;

/** transformers.js is loaded on first use only: importing it costs tens of MB. */
async function loadTransformers(config: EmbeddingConfig): Promise<Transformers> {
  transformersModule ??= import('@huggingface/transformers');
  const transformers = await transformersModule;
  transformers.env.localModelPath = config.modelDir.endsWith('/') ? config.modelDir : `${config.modelDir}/`;
  transformers.env.allowLocalModels = true;
  transformers.env.allowRemoteModels = config.allowRemote;
  transformers.env.cacheDir = config.modelDir;
  return transformers;
}

/** Counts model tokens; what the chunker needs, without loading the network weights. */
export class TokenCounter {
  protected constructor(protected readonly tokenizer: Tokenizer, readonly maxTokens: number) {}

  static async load(config: EmbeddingConfig): Promise<TokenCounter> {
    const tokenizer = await loadTokenizer(config);
    return new TokenCounter(tokenizer, modelMaxTokens(config, tokenizer.model_max_length));
  }

  /** Tokens of `text` alone, without the [CLS]/[SEP] pair. */
  count(text: string): number {
    return this.tokenizer.encode(text, { add_special_tokens: false }).length;
  }
}

async function loadTokenizer(config: EmbeddingConfig): Promise<Tokenizer> {
  assertModelPresent(config);
  const { AutoTokenizer } = await loadTransformers(config);
  try {
    return await AutoTokenizer.from_pretrained(config.model);
  } catch (cause) {
    throw new ModelNotFoundError(config.model, modelFolder(config), 'its tokenizer did not load', { cause });
  }
}

/** The embedding model: tokenizer plus ONNX session, with mean pooling done here. */
/** Model tokens of a question that are embedded (special tokens included); see Embedder.embedQuestion. */
export const QUESTION_MAX_TOKENS = 64;

export class Embedder extends TokenCounter {
  private constructor(
    tokenizer: Tokenizer,
    maxTokens: number,
    private readonly model: Model,
    readonly fingerprint: ModelFingerprint,
  ) {
    super(tokenizer, maxTokens);
  }

  get dimensions(): number {
    return this.fingerprint.dimensions;
  }

  /** `knownFile`: the model file's hash as the boot check took it, reused while the file is the same (see `modelFileSha256`). */
  static override async load(config: EmbeddingConfig, knownFile?: ModelFileHash): Promise<Embedder> {
    const tokenizer = await loadTokenizer(config);
    const { AutoModel } = await loadTransformers(config);
    let model: Model;
    try {
      model = await AutoModel.from_pretrained(config.model, { dtype: config.dtype, device: 'cpu', session_options: { ...SESSION_OPTIONS } });
    } catch (cause) {
      throw new ModelNotFoundError(config.model, modelFolder(config), 'its ONNX weights did not load', { cause });
    }
    const maxTokens = modelMaxTokens(config, tokenizer.model_max_length);
    const probe = new Embedder(tokenizer, maxTokens, model, {
      id: config.model, dimensions: 0, fileSha256: '', dtype: config.dtype, pooling: 'mean', maxTokens,
    });
    const dimensions = (await probe.embed(['dimension probe'])).length;
    const fileSha256 = await modelFileSha256(config, knownFile);
    // The revision is recorded only when it names the very file loaded.
    const source = readModelSource(config);
    const revision = source?.sha256 === fileSha256 ? { revision: source.revision } : {};
    return new Embedder(tokenizer, maxTokens, model, { ...probe.fingerprint, dimensions, fileSha256, ...revision });
  }

  /**
   * Unit-length embeddings, one row per text, packed in one Float32Array. Texts are batched by
   * length so short ones are not padded to the longest of the whole call.
   */
  async embed(texts: string[], batchSize = 16, maxTokens = this.maxTokens): Promise<Float32Array> {
    const order = texts.map((_, i) => i).sort((a, b) => (texts[a]?.length ?? 0) - (texts[b]?.length ?? 0));
    let out: Float32Array | undefined;
    for (let from = 0; from < order.length; from += batchSize) {
      const rows = order.slice(from, from + batchSize);
      const pooled = await this.embedBatch(rows.map((i) => texts[i] ?? ''), Math.min(maxTokens, this.maxTokens));
      const dims = pooled.length / rows.length;
      out ??= new Float32Array(texts.length * dims);
      rows.forEach((row, k) => out!.set(pooled.subarray(k * dims, (k + 1) * dims), row * dims));
    }
    return out ?? new Float32Array(0);
  }

  /**
   * A question, cut at QUESTION_MAX_TOKENS: a person's question is a few dozen tokens, and a model's
   * cost grows faster than its input (a 2,000-character question of invented words filled 512
   * tokens and took 512 ms on a MiniLM-L6, against 2 ms for a normal one), so one client's long
   * questions cannot hold the worker.
   */
  embedQuestion(question: string): Promise<Float32Array> {
    return this.embed([question], 1, QUESTION_MAX_TOKENS);
  }

  /**
   * Several questions in one model call (cut like `embedQuestion`), one row each in their order: the
   * gate's micro-batch. One call of n short rows costs far less than n calls of one.
   */
  embedQuestions(questions: string[]): Promise<Float32Array> {
    return this.embed(questions, Math.max(1, questions.length), QUESTION_MAX_TOKENS);
  }

  private async embedBatch(texts: string[], maxTokens: number): Promise<Float32Array> {
    const inputs = this.tokenizer(texts, { padding: true, truncation: true, max_length: maxTokens });
    const output = (await this.model(inputs)) as { last_hidden_state: { dims: number[]; data: Float32Array } };
    const hidden = output.last_hidden_state;
    const mask = (inputs as { attention_mask: { data: BigInt64Array } }).attention_mask.data;
    return meanPoolNormalize(hidden.data, mask, hidden.dims[0] ?? 0, hidden.dims[1] ?? 0, hidden.dims[2] ?? 0);
  }
}

/** The model, or why it could not be loaded: callers that can fall back to keyword search want the reason, not a throw. */
export function loadEmbedderOrReason(config: EmbeddingConfig, knownFile?: ModelFileHash): Promise<{ embedder?: Embedder; error?: string }> {
  return Embedder.load(config, knownFile).then(
    (embedder) => ({ embedder }),
    (error: unknown) => ({ error: error instanceof Error ? error.message : String(error) }),
  );
}

/**
 * Mean over the unmasked tokens of each row of a [batch, tokens, dims] tensor, then L2 normalised.
 * The library's own pooling spends most of its time converting the mask tensor; this reads it once.
 */
export function meanPoolNormalize(hidden: Float32Array, mask: BigInt64Array | Int32Array | Float32Array, batch: number, tokens: number, dims: number): Float32Array {
  const out = new Float32Array(batch * dims);
  for (let b = 0; b < batch; b++) {
    const row = out.subarray(b * dims, (b + 1) * dims);
    let count = 0;
    for (let t = 0; t < tokens; t++) {
      if (!mask[b * tokens + t]) continue;
      count++;
      const base = (b * tokens + t) * dims;
      for (let d = 0; d < dims; d++) row[d]! += hidden[base + d]!;
    }
    let norm = 0;
    for (let d = 0; d < dims; d++) {
      row[d]! /= Math.max(count, 1);
      norm += row[d]! * row[d]!;
    }
    norm = Math.sqrt(norm) || 1;
    for (let d = 0; d < dims; d++) row[d]! /= norm;
  }
  return out;
}
