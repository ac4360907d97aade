import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/** Weibo text (screen names, anything) must reach the page as text: no template or script may
 * hand a string to the HTML parser. */
describe('the app source', () => {
  it('never renders strings as HTML', () => {
    const src = path.resolve(import.meta.dirname, '../src');
    const files = fs.readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((file) => /\.(vue|ts)$/.test(file));
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      const text = fs.readFileSync(path.join(src, file), 'utf8');
      expect(text, file).not.toMatch(/v-html|innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
    }
  });
});
