/**
 * The pool under a real `node --watch`, whose loader posts `{"watch:import": [...]}` on every worker
 * thread's port: those notices must not be taken for bcrypt's answers.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import bcrypt from 'bcryptjs';
import { expect, it } from 'vitest';

const APP = fileURLToPath(new URL('./support/hasher/watch-app.ts', import.meta.url));
/** Generous: the child starts Node twice (watcher and app) and two threads, on a busy machine. */
const ANSWER_WITHIN_MS = 30_000;

const groupAlive = (pid: number) => {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
};

it('answers every call correctly under node --watch', async () => {
  // Watch an empty folder: edits elsewhere in the working tree must not restart the child mid-test.
  const watched = mkdtempSync(path.join(os.tmpdir(), 'hasher-watch-'));
  const { NODE_OPTIONS: _, ...env } = process.env;
  // Its own process group, so that the watcher and the app it starts are killed together.
  const child = spawn(process.execPath, [`--watch-path=${watched}`, APP], { detached: true, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid!;
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  try {
    const line = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no answer within ${ANSWER_WITHIN_MS} ms\nstdout: ${stdout}\nstderr: ${stderr}`)),
        ANSWER_WITHIN_MS,
      );
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk;
        const found = stdout.split('\n').find((text) => text.startsWith('{'));
        if (found) {
          clearTimeout(timer);
          resolve(found);
        }
      });
      child.on('exit', (code) => reject(new Error(`the child ended (${code}) without answering\nstdout: ${stdout}\nstderr: ${stderr}`)));
    });
    const answers = JSON.parse(line) as Record<string, { value?: unknown; error?: string }>;
    expect(answers.stored).toEqual({ value: expect.stringMatching(/^\$2b\$04\$/) });
    const stored = answers.stored!.value as string;
    expect(bcrypt.compareSync('the right password', stored)).toBe(true);
    for (const [name, password] of [
      ['registerA', 'first new account'],
      ['registerB', 'second new account'],
    ] as const) {
      expect(answers[name]).toEqual({ value: expect.stringMatching(/^\$2b\$04\$/) });
      expect(bcrypt.compareSync(password, answers[name]!.value as string)).toBe(true);
    }
    expect(answers.right).toEqual({ value: true });
    expect(answers.wrong).toEqual({ value: false });
  } finally {
    if (groupAlive(pid)) process.kill(-pid, 'SIGKILL');
    for (let waited = 0; groupAlive(pid) && waited < 5_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    rmSync(watched, { recursive: true, force: true });
  }
  expect(groupAlive(pid)).toBe(false);
});
