import { readdir, readFile } from 'node:fs/promises';

/** Clock ticks per second of /proc's CPU times: USER_HZ, 100 on every Linux this runs on. */
const TICKS_PER_SECOND = 100;

/** CPU time (user + system, ms) a process has used so far, all its threads together, as /proc counts it. */
export async function cpuMsOf(pid: number): Promise<number> {
  return msOfStat(await readFile(`/proc/${pid}/stat`, 'utf8'));
}

/** CPU time (ms) each thread of a process has used so far, by thread id; the process's main thread's id is its pid. */
export async function threadCpuMsOf(pid: number): Promise<Map<number, number>> {
  const threads = new Map<number, number>();
  for (const tid of await readdir(`/proc/${pid}/task`)) {
    // A thread may end between the listing and the read.
    const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8').catch(() => undefined);
    if (stat) threads.set(Number(tid), msOfStat(stat));
  }
  return threads;
}

function msOfStat(stat: string): number {
  // Fields after the command name (which may hold spaces), counted from state = field 3: utime is 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / TICKS_PER_SECOND;
}
