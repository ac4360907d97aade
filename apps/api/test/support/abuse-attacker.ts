/**
 * The attacker's process (forked by reliability/abuse.stress.ts, plain `node`): it waits for
 * `{ start }` with a pattern's name and what it attacks, runs the pattern until `{ stop }` (the
 * victim's phase is done) or its own bounds (ATTACK_MAX_MS, the pattern's maxRequests), and
 * answers `{ done }` with its tally. One process for the whole run, so that starting it is not
 * part of any phase.
 */
import { type AttackContext, ATTACK_MAX_MS, newTally, PATTERNS, reportOf, type TallyReport } from './abuse-patterns.ts';

export interface StartAttack {
  start: string;
  apiUrl: string;
  victimUids: string[];
  victimAccount: string;
}
export type AttackerCommand = StartAttack | { stop: true };
export type AttackerMessage = { ready: true } | { done: TallyReport; cpuSeconds: number };

let stopped = false;

async function attack(command: StartAttack): Promise<void> {
  const pattern = PATTERNS.find((p) => p.name === command.start);
  if (!pattern) throw new Error(`no abuse pattern named ${command.start}`);
  const tally = newTally(pattern.expected);
  const startedAt = performance.now();
  const cpuBefore = process.cpuUsage();
  stopped = false;
  const ctx: AttackContext = {
    apiUrl: command.apiUrl,
    tally,
    live: () => !stopped && performance.now() - startedAt < ATTACK_MAX_MS && tally.requests < pattern.maxRequests,
    victimUids: command.victimUids,
    victimAccount: command.victimAccount,
  };
  await Promise.all(pattern.start(ctx));
  const cpu = process.cpuUsage(cpuBefore);
  send({ done: reportOf(tally), cpuSeconds: (cpu.user + cpu.system) / 1e6 });
}

const send = (message: AttackerMessage) => process.send!(message);

process.on('message', (command: AttackerCommand) => {
  if ('stop' in command) {
    stopped = true;
    return;
  }
  attack(command).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
});
// The test ends the process; if the test itself dies, the channel closes and so does this.
process.on('disconnect', () => process.exit(0));
send({ ready: true });
