/**
 * CPU time of a process by kind of thread, read from /proc (Linux): the event loop, V8's helper
 * threads (parallel scavenges, concurrent marking, background compilers) and the rest (the
 * bcrypt workers, libuv's pool). A heap bound moves work from the first to the second, which a
 * process-wide figure hides.
 */
import fs from 'node:fs';

export type ThreadKind = 'main' | 'v8 helpers' | 'other';
export const THREAD_KINDS: readonly ThreadKind[] = ['main', 'v8 helpers', 'other'];

/** The kernel's clock ticks per second (USER_HZ): 100 on every Linux this runs on. */
const TICKS_PER_SECOND = 100;

function kindOf(threadName: string, tid: string, pid: number): ThreadKind {
  if (tid === String(pid)) return 'main';
  return threadName.startsWith('V8') ? 'v8 helpers' : 'other';
}

/** CPU time (user + system, ms) each kind of thread of `pid` has used so far; empty off Linux. */
export function threadCpuMs(pid: number): Record<ThreadKind, number> {
  const total: Record<ThreadKind, number> = { main: 0, 'v8 helpers': 0, other: 0 };
  let tids: string[];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return total;
  }
  for (const tid of tids) {
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended between the two reads
    }
    // "tid (name) state …": the name may hold spaces and parentheses, so split after the last ')'.
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime
    total[kindOf(name, tid, pid)] += (ticks * 1000) / TICKS_PER_SECOND;
  }
  return total;
}
