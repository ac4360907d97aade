/**
 * Every package's vitest config takes its reporters from here, so that CI can add up one JSON
 * report per suite (`.ci/run` sets TEST_REPORT_DIR) into the plain "N passed, N failed" line
 * its reader understands. Locally only the default reporter runs.
 */
import path from 'node:path';

export function reporters(suiteName: string): (string | [string, Record<string, unknown>])[] {
  const dir = process.env.TEST_REPORT_DIR;
  if (!dir) return ['default'];
  return ['default', ['json', { outputFile: path.join(dir, `${suiteName}.json`) }]];
}
