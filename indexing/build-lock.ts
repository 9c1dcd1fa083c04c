import { open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { BuildLockedError } from './errors.js';

const LOCK_FILE = '.build.lock';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** One build per index folder at a time; a lock left by a dead process is taken over. */
export async function acquireBuildLock(indexDir: string): Promise<() => Promise<void>> {
  const file = path.join(indexDir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (pid && pid !== process.pid && alive(pid)) throw new BuildLockedError(file, pid);
      await rm(file, { force: true });
    }
  }
  throw new BuildLockedError(file, 0);
}
