/**
 * Queries built once. Kysely builds and compiles a query's SQL on every call: measured in a loop
 * on SQLite, 30 µs for the identity-with-user read against 20 µs for the same query compiled
 * beforehand, and 19 µs for better-sqlite3 alone. The hot queries are written as usual with
 * Kysely's typed builder, but built once per dialect with stand-in values; a call only puts its
 * values in their places.
 *
 * The builder must hand its parameters to Kysely as values and do nothing else with them (no
 * `??`, no branching on them): the SQL is built once, whatever the values of later calls.
 *
 * On SQLite a built query is also run without Kysely's executor when that is safe (see
 * `SynchronousRunner`): its connection mutex, result transforms and promise hops were ~26 KB of a
 * login's ~145 KB of garbage (allocation profiles); without them a login made 15 % fewer
 * scavenges and cost 3–5 % less CPU (bench/compare.ts against 0457a8f; docs/security.md, "Heap
 * and allocator bounds"). What it costs in clarity: a second way a query reaches the database,
 * for SQLite only, whose safety rests on the rule below.
 */
import type { Compilable, CompiledQuery, QueryResult } from 'kysely';
import type { Db, DbHandle } from './database.ts';

/**
 * A database whose statements run synchronously on one connection (better-sqlite3). Kysely holds
 * that connection for a transaction across awaits, so a statement run directly is only safe when
 * no transaction is open on it (it then runs and ends before anything else can) or when the
 * caller is that transaction. Otherwise the query waits for the connection through Kysely.
 */
export interface SynchronousRunner {
  /** True while a transaction is open on the connection. */
  inTransaction(): boolean;
  run<Row>(sql: string, parameters: readonly unknown[]): QueryResult<Row>;
}

const synchronousRunners = new WeakMap<object, SynchronousRunner>();

/** Lets the built queries run on `db` (and its transactions) without Kysely's executor. */
export function runSynchronouslyOn(db: Db, runner: SynchronousRunner): void {
  // Only without plugins: their result transforms would be skipped.
  if (db.getExecutor().plugins.length === 0) synchronousRunners.set(db.getExecutor().adapter, runner);
}

/** Stands in for the index-th parameter while the query is built. */
class Slot {
  readonly index: number;
  constructor(index: number) {
    this.index = index;
  }
}

export function prepareQuery<Params extends unknown[], Row>(
  build: (db: Db, ...params: Params) => Compilable<Row>,
): (db: DbHandle, ...params: Params) => Promise<QueryResult<Row>> {
  const arity = build.length - 1;
  // One compiled form per dialect (the SQL of SQLite and MySQL differ); a transaction shares its
  // database's adapter, so it finds the form compiled for the pool.
  const compiledFor = new WeakMap<object, CompiledQuery<Row>>();
  return (db, ...params) => {
    const adapter = db.getExecutor().adapter;
    let compiled = compiledFor.get(adapter);
    if (!compiled) {
      const slots = Array.from({ length: arity }, (_, index) => new Slot(index)) as Params;
      compiled = build(db as Db, ...slots).compile();
      const used = new Set(compiled.parameters.filter((value) => value instanceof Slot).map((slot) => slot.index));
      if (used.size !== arity) throw new Error(`prepareQuery: the query uses ${used.size} of its ${arity} parameters`);
      compiledFor.set(adapter, compiled);
    }
    const values = compiled.parameters.map((value) => (value instanceof Slot ? params[value.index] : value));
    const runner = synchronousRunners.get(adapter);
    if (runner && (db.isTransaction || !runner.inTransaction())) {
      try {
        return Promise.resolve(runner.run<Row>(compiled.sql, values));
      } catch (error) {
        return Promise.reject(error as Error);
      }
    }
    return db.executeQuery({ ...compiled, parameters: values });
  };
}
