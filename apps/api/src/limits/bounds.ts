/**
 * Every bound on the API's work, in one place (CONTRACT §3 "limits on work"; docs/security.md
 * has the table of what each one stops and the test that fails without it). Per-address bounds
 * count IPv6 clients per /64 (limits/address.ts). Figures that depend on the machine (bcrypt's
 * cost) are explained where they are derived.
 */

// ── Requests and connections ────────────────────────────────────────────────────────────────

/** Largest body of any kind (JSON, forms); larger is a 413 before anything reads it. */
export const BODY_LIMIT_BYTES = 64 * 1024;
/** A request's headers and body must have arrived within this, or the socket is closed: a slow
 * sender cannot hold a connection (or a SIGTERM's drain) for ever. */
export const REQUEST_TIMEOUT_MS = 15_000;
/** The headers alone, within this. */
export const HEADERS_TIMEOUT_MS = 10_000;
/** An idle keep-alive connection is closed after this. */
export const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** Calls in one tRPC batch; more is a 400 before any of them runs. */
export const MAX_BATCH_CALLS = 10;

// ── Passwords (bcrypt) ──────────────────────────────────────────────────────────────────────

/** bcrypt jobs waiting for a thread, all kinds together. At cost 10 (~85 ms) on 2 threads this is
 * about 5 s of work: a sign-in is answered within seconds or refused at once with a retry time,
 * never queued past the minute after which its attempt row would stop counting. */
export const HASHER_QUEUE_MAX = 128;
/** Of those places, new hashes (registrations) may take at most this many: sign-ins go first. */
export const HASHER_QUEUE_MAX_HASHES = 32;
/** And whatever the count, no job is queued that would wait longer than this at the pace of
 * recent jobs: at BCRYPT_COST 14 (~1.4 s a hash) 128 jobs on 2 threads would be 90 s, past the
 * minute after which a sign-in's pending attempt stops counting against the lock-out. */
export const HASHER_MAX_WAIT_MS = 40_000;

// ── Wrong passwords (docs/security.md "Lock-out") ────────────────────────────────────────────

/** Failed passwords are counted over this window. */
export const ATTEMPT_WINDOW_MS = 15 * 60 * 1000;
/** Failures of one account from one address: that pair is locked, nobody else is. */
export const MAX_FAILURES_PER_PAIR = 5;
/** Failures from one address whatever the accounts: the address is locked. Higher than per
 * pair: many people can share one address (campus, office, carrier NAT). */
export const MAX_FAILURES_PER_ADDRESS = 30;
/** Failures of one account from all addresses together, after which the account is slowed down
 * (not locked): from a browser that never signed in to it, one check per spacing, account-wide. */
export const ACCOUNT_SLOWDOWN_AFTER_FAILURES = 5;
/** 5 checks per 15 minutes from everywhere while slowed down: the guessing rate of a lock of 5
 * failures per 15 minutes, without letting anyone lock the owner's own browser out. */
export const ACCOUNT_SLOWDOWN_SPACING_MS = 3 * 60 * 1000;
/** A browser that signed in to an account is known to it for this long. */
export const KNOWN_BROWSER_TTL_MS = 90 * 24 * 60 * 60 * 1000;

// ── Registrations ───────────────────────────────────────────────────────────────────────────

/** New accounts (auth.register, weibo.register) per address, per window. */
export const REGISTRATIONS_PER_ADDRESS = { points: 10, windowSeconds: 10 * 60 } as const;
/** New accounts from everywhere together, per window: each costs a bcrypt hash, and at cost 10
 * two cores hash ~23 per second. 20 a second is what the machine can hash at all; the hasher's
 * queue (HASHER_QUEUE_MAX_HASHES, sign-ins first) keeps sign-ins going below that. */
export const REGISTRATIONS_TOTAL = { points: 1200, windowSeconds: 60 } as const;

// ── Weibo ───────────────────────────────────────────────────────────────────────────────────

/** OAuth states not yet spent nor expired, per browser and per address. A person needs one or
 * two; a campus behind one address, a few dozen in ten minutes. */
export const OUTSTANDING_STATES_PER_BROWSER = 10;
export const OUTSTANDING_STATES_PER_ADDRESS = 100;
/** Calls that reach Weibo (token exchanges, profiles) caused by one address, per window. A Weibo
 * login is two calls. */
export const WEIBO_CALLS_PER_ADDRESS = { points: 120, windowSeconds: 60 } as const;
/** Calls to Weibo in flight for one address at once: an attacker's slow calls cannot fill the
 * connection pool that real people's logins use. */
export const WEIBO_CALLS_IN_FLIGHT_PER_ADDRESS = 4;
/** Default of WEIBO_CALL_BUDGET_PER_MINUTE (all addresses together): Weibo's published "normal"
 * level allows 10,000 requests an hour per server address (reference/weibo-api.md §7); a site
 * with a higher grant raises it. */
export const WEIBO_CALL_BUDGET_PER_MINUTE_DEFAULT = 600;

// ── Weibo's cancel-authorization callback ───────────────────────────────────────────────────

/** Hints waiting to be checked with Weibo; past this, new hints are dropped (answered alike). */
export const REVOCATION_QUEUE_MAX = 32;
/** A uid is checked with Weibo at most once per this, by the whole instance (all its API_WORKERS). */
export const REVOCATION_RECHECK_MS = 5 * 60 * 1000;
/** How many uids the de-duplication remembers (oldest forgotten first). */
export const REVOCATION_SEEN_MAX = 10_000;

// ── Revokes at Weibo (the outbox) ───────────────────────────────────────────────────────────

/** Revokes tried per run of the outbox (every SWEEP interval, and once right after a delete). */
export const REVOKE_BATCH_ROWS = 50;
/** Retry delays: doubling from the first, never more than the last apart. */
export const REVOKE_RETRY_FIRST_MS = 30_000;
export const REVOKE_RETRY_MAX_MS = 60 * 60 * 1000;
/** How long one instance holds a claimed revoke: another takes it over after this (its holder died). */
export const REVOKE_CLAIM_MS = 2 * 60 * 1000;

// ── Conflicts at commit (Galera, InnoDB deadlocks) ──────────────────────────────────────────

/** Tries of a transaction, or of a single write outside one, that lost a conflict (1213: an InnoDB
 * deadlock, or Galera's certification failure at COMMIT), before SERVICE_UNAVAILABLE is the answer.
 * Each retry waits a jittered backoff: between CONFLICT_BACKOFF_MS × 2^(try−1) and twice that, at
 * most ~0.5 s over the 8 tries. 5 tries (at most ~60 ms) were too few once API_WORKERS=2 put six
 * processes on the three nodes of the Galera races suite: one sign-in lost all five. */
export const CONFLICT_ATTEMPTS = 8;
export const CONFLICT_BACKOFF_MS = 2;

// ── Processes ───────────────────────────────────────────────────────────────────────────────

/** API_WORKERS at most: each worker is a whole process (~70 MB and a database pool of its own). */
export const MAX_API_WORKERS = 64;
/** A worker that dies is replaced, unless more than this many died within the window: then the
 * API stops (exit 1) rather than loop, and its supervisor restarts it. */
export const WORKER_RESTARTS_MAX = 5;
export const WORKER_RESTARTS_WINDOW_MS = 60_000;
/** A worker asks the primary before rate-limited work (limits/shared-work-limits.ts); a primary
 * that has not answered in this long is taken to be stopping or stuck, and the request is
 * SERVICE_UNAVAILABLE. An answer takes microseconds; a busy machine may delay it by a few ms. */
export const WORK_LIMITS_REPLY_MS = 2000;

// ── Work done once across instances (db/cluster-lock.ts) ───────────────────────────────────

/** The migration lock's lease (renewed every third of it while migrating), and how long another
 * instance waits for it before its start fails. */
export const MIGRATION_LEASE_MS = 60_000;
export const MIGRATION_WAIT_MS = 5 * 60_000;
/** The background work's lease (sweeps, the revoke outbox, sealing tokens): renewed each minute by
 * its holder, taken over by another instance this long after the holder stops renewing. */
export const BACKGROUND_LEASE_MS = 150_000;
/** How often the background work runs (and its holder renews the lease, well within it). */
export const SWEEP_EVERY_MS = 60_000;

// ── Background sweeps ───────────────────────────────────────────────────────────────────────

/** Rows deleted per statement by a sweep, so that no DELETE holds SQLite's event loop long. */
export const SWEEP_BATCH_ROWS = 500;
/** Batches per table per sweep; what is left waits for the next sweep. */
export const SWEEP_MAX_BATCHES = 20;

// ── The process's memory ────────────────────────────────────────────────────────────────────

/**
 * The V8 heap of the API process: semi-spaces of 4 MB (the young generation) and an old
 * generation of at most 112 MB. They are node's command-line flags (API_NODE_FLAGS), so they are
 * written in apps/api/package.json's `dev` and `start` too (a test holds the two together), and
 * every launcher of the tests and the bench passes these. Measured with abuse.stress.ts on
 * MariaDB: by default V8 lets the old generation fill with ~180 MB of garbage before it collects
 * it, and under the attack patterns the RSS reached 340–400 MB; after a full collection the
 * live heap was ~40 MB in every pattern. With 4 MB semi-spaces and 128 MB it peaked at 186 and
 * 196 MB in two CI runs (4 MB short of the bound); with 112 MB at 185 MB (both databases).
 * 112 against 128 cost nothing the layer bench could see (two interleaved pairs: 1,244 and
 * 1,086 µs against 1,255 and 1,185). The young generation weighs more on the peak than the old
 * one: 8 MB semi-spaces with a 96 MB old generation peaked at 193–194 MB.
 *
 * The price is CPU, and it is large: a login allocates ~148 KB (the same before and after issue
 * 9, by allocation profile), so 4 MB semi-spaces are collected ~9× as often as V8's default, with
 * a login's objects still in flight, which are promoted; and with an old generation capped below
 * a few hundred MB V8 collects it once it grows ~30 % over the live heap. `pnpm --filter
 * @weibo-login/bench compare e3b508e --without-heap-bounds` (8 interleaved rounds): CPU per login
 * ÷ the floor's 1.96 with these flags, 1.58 without, 1.47 before issue 9; V8's helper threads 103
 * µs a login against 43. The cheaper settings tried (docs/security.md, "Heap and allocator
 * bounds") all passed 200 MB in abuse.stress.ts: growing factor 2 at 202–204 MB, 8 MB
 * semi-spaces with factor 3 (about no flags' CPU) at 217 MB. Memory held under attack is chosen
 * over that CPU; issue 15's leaner login (fewer bytes allocated per login) is what lowers it.
 */
export const API_SEMI_SPACE_MB = 4;
export const API_OLD_SPACE_MB = 112;
export const API_NODE_FLAGS = [`--max-semi-space-size=${API_SEMI_SPACE_MB}`, `--max-old-space-size=${API_OLD_SPACE_MB}`] as const;
/**
 * glibc's malloc arenas (MALLOC_ARENA_MAX, which glibc reads when the process starts: so it is in
 * package.json's scripts and the launchers' environment too). By default every thread that
 * allocates may get an arena of its own, up to 8 per core, and each keeps what was freed in it.
 * Measured with abuse.stress.ts, with the heap bounds above: peak RSS 205–222 MB with the
 * default, 185–200 MB with 2. Other C libraries ignore it.
 */
export const API_MALLOC_ARENAS = 2;
/**
 * glibc's thresholds for memory it hands back: blocks of 128 KiB and more are mapped on their own
 * and returned to the system when freed (by default the threshold grows with the largest block
 * freed, up to 32 MiB, and such blocks then stay in the heap), and the heap's top is trimmed past
 * 128 KiB. Measured with abuse.stress.ts on MariaDB, two runs each, interleaved: peak RSS 187 and
 * 198 MB without them, 182 and 176 MB with them. The login path allocates nothing that large.
 */
export const API_MALLOC_RELEASE_BYTES = 128 * 1024;
export const API_PROCESS_ENV = {
  MALLOC_ARENA_MAX: String(API_MALLOC_ARENAS),
  MALLOC_MMAP_THRESHOLD_: String(API_MALLOC_RELEASE_BYTES),
  MALLOC_TRIM_THRESHOLD_: String(API_MALLOC_RELEASE_BYTES),
} as const;
