/**
 * Benchmark 5: what the login page costs to load. The web app is built (vite, into a temporary
 * folder, leaving apps/web/dist alone), served by the API as `pnpm start` does, and /login is
 * opened in Chromium; every script and stylesheet it fetches is gzipped (level 9) and counted.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { CHROMIUM_PATH, launchChromium } from '@weibo-login/test-support/chromium';
import { createDatabase, REPO_ROOT, startApi, startSimulator } from './lib/processes.ts';

export interface WebAsset {
  file: string;
  kind: 'js' | 'css';
  bytes: number;
  gzipBytes: number;
}

export interface WebBundle {
  assets: WebAsset[];
  jsGzipBytes: number;
  cssGzipBytes: number;
  buildSeconds: number;
}

async function buildWeb(outDir: string): Promise<number> {
  const started = performance.now();
  const vite = path.join(REPO_ROOT, 'apps/web/node_modules/vite/bin/vite.js');
  const child = spawn(process.execPath, [vite, 'build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'], {
    cwd: path.join(REPO_ROOT, 'apps/web'),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`vite build failed (exit ${code})`);
  return (performance.now() - started) / 1000;
}

export async function benchmarkWebBundle(log: (line: string) => void): Promise<WebBundle | { skipped: string }> {
  if (!fs.existsSync(CHROMIUM_PATH)) return { skipped: `no Chromium at ${CHROMIUM_PATH} (set CHROMIUM_PATH)` };
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'weibo-login-bench-web-'));
  const db = await createDatabase('sqlite');
  const sim = await startSimulator();
  try {
    const buildSeconds = await buildWeb(outDir);
    const api = await startApi({ databaseUrl: db.url, simUrl: sim.url, webDist: outDir });
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const assets: WebAsset[] = [];
      page.on('response', (response) => {
        const type = response.request().resourceType();
        if (type !== 'script' && type !== 'stylesheet') return;
        const file = new URL(response.url()).pathname;
        const body = fs.readFileSync(path.join(outDir, file));
        assets.push({ file, kind: type === 'script' ? 'js' : 'css', bytes: body.length, gzipBytes: gzipSync(body, { level: 9 }).length });
      });
      await page.goto(`${api.url}/login`, { waitUntil: 'networkidle' });
      await page.waitForSelector('form');
      const sum = (kind: 'js' | 'css') => assets.filter((a) => a.kind === kind).reduce((total, a) => total + a.gzipBytes, 0);
      log(
        `  /login loads ${assets.length} files: ${(sum('js') / 1024).toFixed(1)} KiB JS, ${(sum('css') / 1024).toFixed(1)} KiB CSS gzipped`,
      );
      return { assets: assets.sort((a, b) => b.gzipBytes - a.gzipBytes), jsGzipBytes: sum('js'), cssGzipBytes: sum('css'), buildSeconds };
    } finally {
      await browser.close();
      await api.stop();
    }
  } finally {
    await sim.stop();
    await db.drop();
    fs.rmSync(outDir, { recursive: true, force: true });
  }
}
