import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

/** The one buffer a read goes through: small enough to come from malloc's heap once, large enough for few reads. */
const READ_BYTES = 256 * 1024;

/**
 * Read a file from start to end through one reused buffer, handing each piece to `take`, which must
 * be done with it when it returns (the next read overwrites it); resolves with the bytes read. A
 * read stream allocates a new buffer per piece, and V8 frees them only at a later collection:
 * hashing the model and the index at boot held 16 to 18 MB of them, left in malloc's heap
 * afterwards (README "Memory"); this holds 0.25 MB.
 */
export async function readThrough(file: string, take: (piece: Buffer) => void): Promise<number> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.allocUnsafeSlow(READ_BYTES);
    let bytes = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, READ_BYTES, null);
      if (bytesRead === 0) return bytes;
      take(buffer.subarray(0, bytesRead));
      bytes += bytesRead;
    }
  } finally {
    await handle.close();
  }
}

/** sha256 of a file, read through one reused buffer (`readThrough`). */
export async function sha256File(file: string): Promise<{ digest: string; bytes: number }> {
  const hash = createHash('sha256');
  const bytes = await readThrough(file, (piece) => hash.update(piece));
  return { digest: hash.digest('hex'), bytes };
}
