import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Embedder } from '../../workers/embedder.js';
import type { EmbeddingConfig } from '../../workers/model-config.js';

export interface FloorFigure {
  questions: number;
  /** Wall time of one call for all the questions. */
  callMs: number;
  /** CPU time of that call, per question. */
  cpuMsPerQuestion: number;
}

/**
 * The hardware's floor for embedding questions: one model call (tokenizer, ONNX session with the
 * service's session options, pooling) of `size` questions at once, in this process with nothing
 * around it, repeated for about `budgetMs` per size. What a search can cost at least.
 */
export async function measureFloor(embedding: EmbeddingConfig, questions: string[], sizes: number[], budgetMs = 3000): Promise<FloorFigure[]> {
  const embedder = await Embedder.load({ ...embedding, allowRemote: false });
  const figures: FloorFigure[] = [];
  let offset = 0;
  const take = (n: number) => Array.from({ length: n }, () => questions[offset++ % questions.length]!);
  for (const size of sizes) {
    for (let i = 0; i < 3; i++) await embedder.embedQuestions(take(size));
    let calls = 0;
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    while (performance.now() - started < budgetMs || calls < 5) {
      await embedder.embedQuestions(take(size));
      calls++;
    }
    const wallMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    figures.push({ questions: size, callMs: wallMs / calls, cpuMsPerQuestion: (cpu.user + cpu.system) / 1000 / calls / size });
  }
  return figures;
}

/**
 * The floor measured in a fresh process of its own. Measured inside a benchmark that has just run
 * minutes of load, the same calls cost more (a heap full of latency samples to collect, the load
 * generator's leftovers): 1.98 CPU ms a question in a call of 8 there, 1.55 to 1.59 in a fresh
 * process, the same minute.
 */
export async function measureFloorApart(embedding: EmbeddingConfig, questions: string[], sizes: number[]): Promise<FloorFigure[]> {
  // The questions go on stdin: an environment variable holds at most 128 KB on Linux.
  const run = promisify(execFile)(process.execPath, [fileURLToPath(import.meta.url), '--floor'], { maxBuffer: 1 << 20 });
  run.child.stdin!.end(JSON.stringify({ embedding, questions, sizes }));
  return JSON.parse((await run).stdout) as FloorFigure[];
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === '--floor') {
  let input = '';
  for await (const piece of process.stdin) input += String(piece);
  const { embedding, questions, sizes } = JSON.parse(input) as { embedding: EmbeddingConfig; questions: string[]; sizes: number[] };
  process.stdout.write(JSON.stringify(await measureFloor(embedding, questions, sizes)));
}
