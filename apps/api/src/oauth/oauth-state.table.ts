/** A pending OAuth round trip. The state itself is never stored, only its SHA-256. */
export interface OAuthStatesTable {
  /** sha256(state), hex. */
  id: string;
  /** sha256 of the browser-binding cookie the state was issued to, hex. */
  browser_hash: string;
  intent: string;
  /** The signed-in user a `connect` state was issued to; null for `login`. */
  user_id: number | null;
  redirect_to: string;
  expires_at: number;
  /** The address key (limits/address.ts) it was issued to: outstanding states are bounded per address. */
  address_key: string | null;
}
