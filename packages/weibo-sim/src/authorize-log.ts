/**
 * What the authorize pages saw: every request to either page (desktop api.weibo.com, phone open.weibo.cn) is
 * recorded, so a test can check that a client sent a phone to the phone page with `display=mobile`, or that
 * `forcelogin` arrived. Plain data and no Fastify, because the control client shares these types.
 */

/** Which of Weibo's two authorize pages answered: api.weibo.com's or the phone page on open.weibo.cn. */
export type AuthorizePage = 'desktop' | 'mobile';

/** The key that requests and codes without a `display` parameter are counted under. */
export const NO_DISPLAY = '(none)';

export interface AuthorizeRecord {
  page: AuthorizePage;
  method: string;
  /** The raw parameters as sent (null when absent), before any validation. */
  clientId: string | null;
  redirectUri: string | null;
  responseType: string | null;
  display: string | null;
  forcelogin: string | null;
  scope: string | null;
  state: string | null;
  /** consent: the page was shown; error: Weibo's error page; approved/denied: the sim_action shortcut redirected. */
  outcome: 'consent' | 'error' | 'approved' | 'denied';
  /** The 213xx code of the error page, null otherwise. */
  errorCode: number | null;
  /** Epoch milliseconds on the simulator's clock. */
  at: number;
}

/** Newest last; old entries fall off, so a long benchmark cannot grow it without bound. */
const MAX_RECORDS = 200;

export class AuthorizeLog {
  private records: AuthorizeRecord[] = [];
  byPage: Record<AuthorizePage, number> = { desktop: 0, mobile: 0 };
  byDisplay: Record<string, number> = {};

  add(record: AuthorizeRecord): void {
    this.records.push(record);
    if (this.records.length > MAX_RECORDS) this.records.shift();
    this.byPage[record.page]++;
    const display = record.display ?? NO_DISPLAY;
    this.byDisplay[display] = (this.byDisplay[display] ?? 0) + 1;
  }

  /** Newest first, optionally only one app's. */
  list(clientId?: string, limit = MAX_RECORDS): AuthorizeRecord[] {
    const matching = clientId === undefined ? this.records : this.records.filter((r) => r.clientId === clientId);
    return matching.slice(-limit).reverse();
  }

  clear(): void {
    this.records = [];
    this.byPage = { desktop: 0, mobile: 0 };
    this.byDisplay = {};
  }
}
