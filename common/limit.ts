/**
 * Runs `fn` over `items` with at most `concurrency` promises in flight; results keep the input order.
 * The first rejection stops new work from starting and is re-thrown once running work settles.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed: { error: unknown } | undefined;
  const worker = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i], i);
      } catch (error) {
        failed ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  if (failed) throw failed.error;
  return results;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * A work pool: tasks may add more tasks while running (a tree crawl); at most `concurrency` run at once.
 * `drain()` resolves when every task has finished, or rejects with the first failure (no new task starts after it).
 */
export class TaskPool {
  private running = 0;
  private readonly queue: Array<() => Promise<void>> = [];
  private failure: { error: unknown } | undefined;
  private waiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];

  constructor(private readonly concurrency: number) {}

  add(task: () => Promise<void>): void {
    if (this.failure) return;
    this.queue.push(task);
    this.pump();
  }

  drain(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.settle();
    });
  }

  private pump(): void {
    while (!this.failure && this.running < this.concurrency && this.queue.length) {
      const task = this.queue.shift()!;
      this.running++;
      task()
        .catch((error) => {
          this.failure ??= { error };
          this.queue.length = 0;
        })
        .finally(() => {
          this.running--;
          this.pump();
          this.settle();
        });
    }
  }

  private settle(): void {
    if (this.running > 0 || (this.queue.length > 0 && !this.failure)) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) {
      if (this.failure) w.reject(this.failure.error);
      else w.resolve();
    }
  }
}
