/**
 * Loaded with `--import` into the processes under test. Over the IPC channel it answers
 * 'metrics' with the process's CPU time, memory and event-loop delay since the previous answer,
 * and on request records a CPU or an allocation profile of a timed window only (set-up calls left out). It adds
 * one histogram timer and a garbage-collection observer, nothing on the request path.
 */
import fs from 'node:fs';
import { Session } from 'node:inspector/promises';
import { constants as perf, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';

const NS_PER_MS = 1e6;
const RESOLUTION_MS = 5;
const loopDelay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
loopDelay.enable();
let profiler: Session | undefined;

/** Garbage collections since the start, by kind, and the main thread's time in them (ms). */
const gc = { scavenges: 0, markCompacts: 0, pauseMs: 0 };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
    if (kind === perf.NODE_PERFORMANCE_GC_MINOR) gc.scavenges++;
    else if (kind === perf.NODE_PERFORMANCE_GC_MAJOR) gc.markCompacts++;
    gc.pauseMs += entry.duration;
  }
}).observe({ entryTypes: ['gc'] });

/** A CPU profile, or a sampled allocation profile: every object allocated, garbage included
 * ('alloc'), or only those that outlived the young generation ('promoted': what makes the old
 * generation grow, and its full collections come). */
export type ProfileKind = 'cpu' | 'alloc' | 'promoted';
type Command = 'metrics' | 'retained' | { profile: 'start'; kind: ProfileKind } | { profile: 'stop'; file: string };
/** One sample per KiB allocated: fine enough to see a login's few hundred allocations. */
const ALLOC_SAMPLING_BYTES = 1024;
let profiling: ProfileKind = 'cpu';

/** The heap still reachable after a full collection: what a leak would make grow. */
function retainedHeapBytes(): number {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
  return process.memoryUsage().heapUsed;
}

function metrics() {
  const memory = process.memoryUsage();
  const cpu = process.cpuUsage();
  const answer = {
    cpuMs: (cpu.user + cpu.system) / 1000,
    rssBytes: memory.rss,
    heapUsedBytes: memory.heapUsed,
    heapTotalBytes: memory.heapTotal,
    externalBytes: memory.external,
    gc: { ...gc },
    loopDelay: {
      // The histogram records whole timer intervals: the delay is what exceeds the resolution.
      p50: Math.max(0, loopDelay.percentile(50) / NS_PER_MS - RESOLUTION_MS),
      p99: Math.max(0, loopDelay.percentile(99) / NS_PER_MS - RESOLUTION_MS),
      max: Math.max(0, loopDelay.max / NS_PER_MS - RESOLUTION_MS),
    },
  };
  loopDelay.reset();
  return answer;
}

async function answer(command: Command): Promise<unknown> {
  if (command === 'metrics') return metrics();
  if (command === 'retained') return { retainedHeapBytes: retainedHeapBytes() };
  if (command.profile === 'start') {
    profiler = new Session();
    profiler.connect();
    profiling = command.kind;
    if (command.kind !== 'cpu') {
      await profiler.post('HeapProfiler.enable');
      await profiler.post('HeapProfiler.startSampling', {
        samplingInterval: ALLOC_SAMPLING_BYTES,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: command.kind === 'alloc',
      });
    } else {
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.start');
    }
    return { ok: true };
  }
  const { profile } = profiling !== 'cpu' ? await profiler!.post('HeapProfiler.stopSampling') : await profiler!.post('Profiler.stop');
  profiler!.disconnect();
  fs.writeFileSync(command.file, JSON.stringify(profile));
  return { ok: true };
}

process.on('message', (command: Command) => {
  answer(command).then(
    (reply) => process.send?.(reply),
    (error: unknown) => process.send?.({ error: String(error) }),
  );
});
// The IPC channel must not keep a process alive that would otherwise exit.
process.channel?.unref();
