/**
 * The browser's storage, the one place that touches it: localStorage (kept across visits, shared
 * by the tabs of this origin) and sessionStorage (this tab only). Either may be missing or refuse
 * (private modes, full quota, storage disabled, some in-app browsers): every call here then does
 * nothing and answers null or false, and the app goes on without remembering.
 */
export type StorageArea = 'local' | 'session';

function areaOf(area: StorageArea): Storage {
  return area === 'local' ? localStorage : sessionStorage;
}

/** The stored value, or null (absent, or no storage). */
export function readStored(area: StorageArea, key: string): string | null {
  try {
    return areaOf(area).getItem(key);
  } catch {
    return null;
  }
}

/** Stores the value; false when the browser would not. */
export function writeStored(area: StorageArea, key: string, value: string): boolean {
  try {
    areaOf(area).setItem(key, value);
    return true;
  } catch {
    return false;
  }
}

export function removeStored(area: StorageArea, key: string): void {
  try {
    areaOf(area).removeItem(key);
  } catch {
    // No storage: nothing is stored.
  }
}
