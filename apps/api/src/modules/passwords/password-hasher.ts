import bcrypt from 'bcryptjs';

/** Hashing behind an interface so that where the work runs (this thread, a worker pool) is one
 * decision in one place. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, hash: string): Promise<boolean>;
  /** A real hash of the configured cost, compared against when the account does not exist, so an
   * unknown account costs the same bcrypt work as a wrong password. */
  readonly dummyHash: string;
}

export async function createBcryptHasher(cost: number): Promise<PasswordHasher> {
  const dummyHash = await bcrypt.hash('no-such-account-placeholder', cost);
  return {
    hash: (password) => bcrypt.hash(password, cost),
    verify: (password, hash) => bcrypt.compare(password, hash),
    dummyHash,
  };
}
