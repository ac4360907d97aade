/**
 * Another commit of this repository, checked out beside it (a git worktree in the temp folder)
 * with its dependencies installed, so that compare.ts can run its API with the same load, on the
 * same machine, in the same run as the working tree's.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { NodeProgram } from '@weibo-login/test-support';
import { API_PROGRAM } from '@weibo-login/api/program';
import { REPO_ROOT } from './processes.ts';

export interface Checkout {
  ref: string;
  /** The commit, abbreviated. */
  commit: string;
  root: string;
  /** The API as `pnpm start` ran it at that commit. */
  api: NodeProgram;
  remove(): void;
}

const git = (args: string[], cwd = REPO_ROOT) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();

export async function checkOut(ref: string): Promise<Checkout> {
  const commit = git(['rev-parse', '--short', `${ref}^{commit}`]);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `weibo-login-${commit}-`));
  git(['worktree', 'add', '--detach', '--quiet', root, commit]);
  const remove = () => {
    git(['worktree', 'remove', '--force', root]);
  };
  try {
    // The store already holds nearly every package: a second or two.
    execFileSync('pnpm', ['install', '--frozen-lockfile', '--prefer-offline', '--silent'], { cwd: root, stdio: 'inherit' });
    return { ref, commit, root, api: await apiProgramAt(root), remove };
  } catch (error) {
    remove();
    throw error;
  }
}

/** The API program of a checkout: its own `./program` description where it has one (its entry,
 * heap flags and environment), else its entry with node's defaults, as `pnpm start` ran it then. */
async function apiProgramAt(root: string): Promise<NodeProgram> {
  const described = path.join(root, 'apps/api/src/program.ts');
  if (fs.existsSync(described)) return ((await import(described)) as { API_PROGRAM: NodeProgram }).API_PROGRAM;
  return { ...API_PROGRAM, main: path.join(root, 'apps/api/src/main.ts'), nodeFlags: [], env: {} };
}
