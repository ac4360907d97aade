/** The processes whose parent is `pid` (Linux /proc): an API_WORKERS primary's workers. */
import fs from 'node:fs';

export function childrenOf(pid: number): number[] {
  return fs
    .readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
        // "pid (name) state ppid …": the name may hold spaces and parentheses.
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false; // the process ended between the two reads
      }
    })
    .map(Number);
}
