/** Browsers (by the sha256 of their binding cookie) that signed in to an account with its
 * password: while strangers' failures slow the account down, these still get through. */
export interface KnownBrowsersTable {
  user_id: number;
  browser_hash: string;
  last_seen_at: number;
}
