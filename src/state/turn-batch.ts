/**
 * Work that arrives in one turn of the event loop, done together: callers add an entry and get its own
 * result, and once per turn (`setImmediate`) the entries so far go to `run` in groups of at most `max`. Both
 * backends send the replay check's inserts this way: PostgreSQL as one statement (postgres/insert-batch.ts),
 * SQLite as one transaction, so under load a private_key_jwt token shares a round trip or a commit with the
 * others of its turn. An entry arriving alone waits one `setImmediate`, nothing more.
 */
interface Queued<E, R> {
  entry: E;
  settle: (result: { ok: R } | { error: unknown }) => void;
}

export class TurnBatch<E, R> {
  readonly #run: (entries: E[]) => Promise<R[]> | R[];
  readonly #max: number;
  #queue: Queued<E, R>[] = [];
  #scheduled = false;

  /** `run` answers one result per entry, in order; if it throws, every entry of that group rejects with it. */
  constructor(run: (entries: E[]) => Promise<R[]> | R[], max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`max must be a positive integer, got ${max}`);
    this.#run = run;
    this.#max = max;
  }

  add(entry: E): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ entry, settle: (r) => ('ok' in r ? resolve(r.ok) : reject(r.error)) });
      if (this.#queue.length >= this.#max) this.#runGroup(this.#queue.splice(0, this.#max));
      else if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => {
          this.#scheduled = false;
          while (this.#queue.length > 0) this.#runGroup(this.#queue.splice(0, this.#max));
        });
      }
    });
  }

  #runGroup(group: Queued<E, R>[]): void {
    const failAll = (error: unknown) => {
      for (const item of group) item.settle({ error });
    };
    let results: Promise<R[]> | R[];
    try {
      results = this.#run(group.map((item) => item.entry));
    } catch (error) {
      failAll(error);
      return;
    }
    Promise.resolve(results).then((answers) => {
      group.forEach((item, i) => item.settle({ ok: answers[i]! }));
    }, failAll);
  }
}
