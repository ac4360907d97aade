/**
 * Every package's vitest config takes its reporters from here, so that CI can add up one JSON
 * report per suite (`.ci/run` sets TEST_REPORT_DIR) into the plain "N passed, N failed" line
 * its reader understands. Locally only the default reporter runs.
 */
import path from 'node:path';

export function reporters(suiteName: string): (string | [string, Record<string, unknown>])[] {
  const dir = process.env.TEST_REPORT_DIR;
  if (!dir) return ['default'];
  // CI runs the suites that start API processes again with API_WORKERS=2: a report of their own.
  const workers = process.env.API_WORKERS ? `-api-workers-${process.env.API_WORKERS}` : '';
  return ['default', ['json', { outputFile: path.join(dir, `${suiteName}${workers}.json`) }]];
}
