/**
 * The operator's tool's output: readable in a terminal (columns that stay aligned with Chinese
 * names, local times with their offset), and `--json` as one document. Text from outside (display
 * names from Weibo, user agents, reasons) never reaches the terminal as control sequences.
 */
import type { ActivityEvent } from '@weibo-login/shared';
import type {
  OperatorAccountDetails,
  OperatorAccountSummary,
  OperatorChange,
  OperatorFindResult,
} from '../modules/operator/operator.dto.ts';

/** Control characters (an escape sequence starts with one) and the bidirectional overrides that
 * reorder what a terminal shows. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** Text from outside, made safe to print: each unsafe character becomes U+FFFD. */
export const safeText = (text: string): string => text.replace(UNSAFE, '\ufffd');

/** What JSON.stringify leaves raw in strings (it escapes only C0) but a terminal could act on. */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** One JSON document, with UNSAFE_IN_JSON escaped (`\u009b`…): it parses to the same values. */
export function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2).replace(UNSAFE_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`;
}

/** East Asian wide and fullwidth characters (CJK, Hangul, fullwidth forms, most emoji) take two columns. */
const WIDE =
  /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{1f300}-\u{1f64f}\u{1f900}-\u{1f9ff}\u{20000}-\u{3fffd}]/u;

export const displayWidth = (text: string): number => [...text].reduce((width, c) => width + (WIDE.test(c) ? 2 : 1), 0);

/** At most `columns` wide, cut with an ellipsis. */
export function fit(text: string, columns: number): string {
  if (displayWidth(text) <= columns) return text;
  let out = '';
  for (const c of text) {
    if (displayWidth(out + c) > columns - 1) break;
    out += c;
  }
  return `${out}…`;
}

const padTo = (text: string, columns: number): string => text + ' '.repeat(Math.max(0, columns - displayWidth(text)));

/** Rows of cells as aligned columns under a header; the last column is not padded. */
export function table(header: string[], rows: string[][], indent = ''): string {
  const widths = header.map((title, i) => Math.max(displayWidth(title), ...rows.map((row) => displayWidth(row[i] ?? ''))));
  const line = (cells: string[]) =>
    indent +
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : padTo(cell, widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

const two = (n: number) => String(n).padStart(2, '0');

/** An ISO time as this machine's local time with its offset: `2026-12-03 18:11:12 +08:00`. */
export function localTime(isoTime: string | null): string {
  if (isoTime === null) return '-';
  const date = new Date(isoTime);
  const offset = -date.getTimezoneOffset();
  const sign = offset < 0 ? '-' : '+';
  const zone = `${sign}${two(Math.floor(Math.abs(offset) / 60))}:${two(Math.abs(offset) % 60)}`;
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())} ${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())} ${zone}`;
}

const orDash = (text: string | null | undefined): string => (text ? safeText(text) : '-');
const status = (account: { disabledAt: string | null }) => (account.disabledAt === null ? 'active' : 'DISABLED');
const weiboCell = (weibo: OperatorAccountSummary['weibo']) => (weibo ? `${weibo.uid} ${fit(safeText(weibo.screenName), 20)}` : '-');
const named = (account: { id: string; account: string }) => `${safeText(account.account)} (id ${account.id})`;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function formatFind(result: OperatorFindResult): string {
  if (result.accounts.length === 0) return `No account matches ${JSON.stringify(safeText(result.query))}.\n`;
  const rows = result.accounts.map((a) => [
    a.id,
    safeText(a.account),
    fit(orDash(a.displayName), 24),
    a.hasPassword ? 'yes' : 'no',
    status(a),
    weiboCell(a.weibo),
    localTime(a.createdAt),
  ]);
  const head = result.truncated
    ? `The first ${result.accounts.length} accounts matching ${JSON.stringify(safeText(result.query))} (more match: narrow the search):`
    : `${plural(result.accounts.length, 'account')} matching ${JSON.stringify(safeText(result.query))}:`;
  return `${head}\n${table(['ID', 'ACCOUNT', 'NAME', 'PASSWORD', 'STATUS', 'WEIBO', 'CREATED'], rows)}\n`;
}

const field = (label: string, value: string) => `${padTo(label, 16)}${value}`;

function formatEvents(events: ActivityEvent[]): string {
  if (events.length === 0) return 'Events: none';
  const rows = events.map((e) => [localTime(e.at), e.kind, orDash(e.ip), e.reason === null ? '' : JSON.stringify(safeText(e.reason))]);
  return `Events (latest ${events.length}, newest first)\n${table(['AT', 'KIND', 'IP', 'REASON'], rows, '  ')}`;
}

export function formatShow(account: OperatorAccountDetails): string {
  const lines = [
    field('Account', named(account)),
    field('Name', orDash(account.displayName)),
    field('Password', account.hasPassword ? 'yes' : 'no (signs in with Weibo only)'),
    field('Status', account.disabledAt === null ? 'active' : `DISABLED since ${localTime(account.disabledAt)}`),
    field('Created', localTime(account.createdAt)),
    field('Updated', localTime(account.updatedAt)),
    '',
  ];
  const weibo = account.weibo;
  if (weibo) {
    lines.push(
      field('Weibo', `${weibo.uid} ${safeText(weibo.screenName)}`),
      field('  bound at', localTime(weibo.boundAt)),
      field('  last sign-in', weibo.lastSignInAt === null ? 'none in the events kept' : localTime(weibo.lastSignInAt)),
      field('  token until', weibo.tokenExpiresAt === null ? 'unknown' : localTime(weibo.tokenExpiresAt)),
    );
  } else {
    lines.push(field('Weibo', 'not bound'));
  }
  lines.push('');
  if (account.devices.length === 0) lines.push('Devices: none signed in');
  else {
    const rows = account.devices.map((d) => [
      d.id.slice(0, 8),
      d.method,
      localTime(d.createdAt),
      localTime(d.lastUsedAt),
      orDash(d.ip),
      fit(orDash(d.userAgent), 60),
    ]);
    lines.push(
      `Devices (${account.devices.length} signed in)`,
      table(['ID', 'METHOD', 'SIGNED IN', 'LAST USED', 'IP', 'USER AGENT'], rows, '  '),
    );
  }
  lines.push('', formatEvents(account.events));
  return `${lines.join('\n')}\n`;
}

const revokeText: Record<OperatorChange['weiboRevoke'], string> = {
  revoked: 'the grant at Weibo is revoked',
  pending: 'the revoke at Weibo is queued (Weibo did not take it now; the API retries it until Weibo answers or the token expires)',
  none: 'there was no Weibo grant to revoke',
};

export function formatChange(c: OperatorChange): string {
  const who = named(c.account);
  const sessions = plural(c.sessionsEnded, 'session');
  const seen = 'The owner sees this, with the reason, in the account’s activity.';
  if (!c.changed) {
    const already: Record<OperatorChange['action'], string> = {
      disable: 'was already disabled and had no session',
      enable: 'is not disabled',
      unbind: 'has no Weibo bound',
      'sign-out': 'has no session',
      delete: 'was not deleted',
    };
    return `${who} ${already[c.action]}: nothing changed.\n`;
  }
  switch (c.action) {
    case 'disable':
      return `${who} disabled: ${sessions} ended; signing in now answers ACCOUNT_DISABLED.\n${seen}\n`;
    case 'enable':
      return `${who} enabled: it can sign in again.\n${seen}\n`;
    case 'unbind':
      return `${who}: Weibo binding removed; ${revokeText[c.weiboRevoke]}.\n${seen}\n`;
    case 'sign-out':
      return `${who}: ${sessions} ended; its tokens stopped working at once.\n${seen}\n`;
    case 'delete':
      return `${who} deleted, with its Weibo binding and ${sessions}; its events are kept only as anonymous counts; ${revokeText[c.weiboRevoke]}.\n`;
  }
}
