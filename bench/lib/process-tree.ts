/**
 * A process and its children (API_WORKERS' primary and its workers), read from /proc (Linux):
 * their CPU time together, and each one's resident memory.
 */
import fs from 'node:fs';
import { childrenOf } from '@weibo-login/test-support';
import { THREAD_KINDS, threadCpuMs } from './threads.ts';

/** CPU time (ms) the process alone (all its threads) has used so far. */
export function processCpuMs(pid: number): number {
  const threads = threadCpuMs(pid);
  return THREAD_KINDS.reduce((total, kind) => total + threads[kind], 0);
}

/** CPU time (ms) the process and its children have used so far. */
export function treeCpuMs(pid: number): number {
  return [pid, ...childrenOf(pid)].reduce((sum, member) => sum + processCpuMs(member), 0);
}

/** VmRSS of a process, bytes (0 once it is gone). */
export function residentBytes(pid: number): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}
