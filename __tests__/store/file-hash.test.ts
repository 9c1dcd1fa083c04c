import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readThrough, sha256File } from '../../store/file-hash.js';
import { tempDir } from '../helpers/temp.js';

describe('reading a file through one reused buffer', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  const content = randomBytes(600 * 1024 + 123);

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    await writeFile(path.join(dir, 'data.bin'), content);
    await writeFile(path.join(dir, 'empty.bin'), '');
  });
  afterAll(() => cleanup());

  it('hands over every byte in order, each piece in the same memory', async () => {
    const copies: Buffer[] = [];
    const memory = new Set<ArrayBufferLike>();
    const bytes = await readThrough(path.join(dir, 'data.bin'), (piece) => {
      copies.push(Buffer.from(piece));
      memory.add(piece.buffer);
    });
    expect(bytes).toBe(content.length);
    expect(Buffer.concat(copies).equals(content)).toBe(true);
    expect(copies.length).toBeGreaterThan(2);
    expect(memory.size).toBe(1);
  });

  it('hashes what it reads, reads an empty file as nothing, and rejects a missing one', async () => {
    expect(await sha256File(path.join(dir, 'data.bin'))).toEqual({ digest: createHash('sha256').update(content).digest('hex'), bytes: content.length });
    const pieces: Buffer[] = [];
    expect(await readThrough(path.join(dir, 'empty.bin'), (piece) => pieces.push(piece))).toBe(0);
    expect(pieces).toEqual([]);
    await expect(readThrough(path.join(dir, 'missing.bin'), () => undefined)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
