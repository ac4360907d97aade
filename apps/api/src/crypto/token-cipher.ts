/**
 * The Weibo access tokens we keep (a binding's, a pending bind ticket's, a revoke waiting in the
 * outbox) are stored sealed with AES-256-GCM under DATA_ENCRYPTION_KEY, so that a copy of the
 * database holds no live credential. A sealed value names its key (a digest of it, never the key):
 * `wlenc1.<key id>.<iv>.<ciphertext and tag>`, base64url. DATA_ENCRYPTION_PREVIOUS_KEYS still open
 * what they sealed; every write seals with the current key. A value without the prefix is a
 * token stored before sealing existed: it is opened as it is, and resealStoredTokens
 * (modules/weibo-login/stored-tokens.ts) seals those rows, and those of older keys, anew.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const PREFIX = 'wlenc1.';
const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const DATA_KEY_BYTES = 32;

export interface TokenCipher {
  seal(token: string): string;
  /** The token; throws UnknownDataKey when it was sealed with a key no longer configured. */
  open(stored: string): string;
  /** Whether a stored value is sealed with the current key (false for plaintext and older keys). */
  isCurrent(stored: string): boolean;
  /** What every value sealed with the current key starts with (to find the others in SQL). */
  readonly currentPrefix: string;
}

export class UnknownDataKey extends Error {
  readonly keyId: string;
  constructor(keyId: string) {
    super(`a stored token was sealed with data key ${keyId}, which is neither DATA_ENCRYPTION_KEY nor in DATA_ENCRYPTION_PREVIOUS_KEYS`);
    this.keyId = keyId;
  }
}

/** A key's id: 8 hex characters of a digest of it. */
export const dataKeyIdOf = (key: Buffer): string =>
  createHash('sha256').update('weibo-login data key\0').update(key).digest('hex').slice(0, 8);

export function createTokenCipher(current: Buffer, previous: readonly Buffer[] = []): TokenCipher {
  for (const key of [current, ...previous])
    if (key.length !== DATA_KEY_BYTES) throw new Error(`a data key must be ${DATA_KEY_BYTES} bytes`);
  const currentId = dataKeyIdOf(current);
  const keys = new Map<string, Buffer>([...previous.map((key) => [dataKeyIdOf(key), key] as const), [currentId, current]]);
  return {
    seal(token) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv(ALGORITHM, current, iv);
      const sealed = Buffer.concat([cipher.update(token, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return `${PREFIX}${currentId}.${iv.toString('base64url')}.${sealed.toString('base64url')}`;
    },
    open(stored) {
      if (!stored.startsWith(PREFIX)) return stored;
      const [keyId = '', ivText = '', sealedText = ''] = stored.slice(PREFIX.length).split('.');
      const key = keys.get(keyId);
      if (!key) throw new UnknownDataKey(keyId);
      const sealed = Buffer.from(sealedText, 'base64url');
      const decipher = createDecipheriv(ALGORITHM, key, Buffer.from(ivText, 'base64url'));
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    },
    isCurrent: (stored) => stored.startsWith(`${PREFIX}${currentId}.`),
    currentPrefix: `${PREFIX}${currentId}.`,
  };
}

/** DATA_ENCRYPTION_KEY's form: 64 hex characters, or base64 of 32 bytes. Null when it is neither. */
export function parseDataKey(text: string): Buffer | null {
  const trimmed = text.trim();
  if (/^[0-9a-f]{64}$/i.test(trimmed)) return Buffer.from(trimmed, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)) {
    const key = Buffer.from(trimmed, trimmed.includes('-') || trimmed.includes('_') ? 'base64url' : 'base64');
    return key.length === DATA_KEY_BYTES ? key : null;
  }
  return null;
}
