/** Generated avatars, served by the simulator itself so consent pages and apps work offline. */
import { escapeHtml } from './html.ts';

const PALETTE = ['#ff8200', '#e6162d', '#eb7350', '#f5a623', '#4a90e2', '#50b27b', '#9b59b6', '#16a085'];

/** A stable small hash, so one uid always gets the same colour. */
export function hashOf(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

export function avatarSvg(uid: string, screenName: string): string {
  const colour = PALETTE[hashOf(uid) % PALETTE.length]!;
  // Array.from keeps a surrogate pair (emoji, rare CJK) together as one letter.
  const initial = escapeHtml((Array.from(screenName.trim())[0] ?? '?').toUpperCase());
  return `<svg xmlns="http://www.w3.org/2000/svg" width="180" height="180" viewBox="0 0 180 180">
<rect width="180" height="180" fill="${colour}"/>
<text x="90" y="90" dy=".35em" text-anchor="middle" font-family="PingFang SC,Microsoft YaHei,Arial,sans-serif" font-size="88" fill="#fff">${initial}</text>
</svg>`;
}
