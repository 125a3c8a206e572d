/**
 * @module scheduler
 * A bounded work queue: at most `concurrency` jobs run, at most `maxQueue` wait; a job
 * that finds the queue full, or waits longer than `timeoutMs`, is rejected at once
 * (the server answers 503 + Retry-After), so memory stays bounded under any load.
 */

export class QueueFullError extends Error {
  constructor() {
    super("the server is at capacity");
  }
}

export class QueueTimeoutError extends Error {
  constructor() {
    super("the request waited too long in the queue");
  }
}

interface Waiter {
  start: () => void;
  timer: ReturnType<typeof setTimeout>;
}

export class Scheduler {
  private running = 0;
  private readonly waiting: Waiter[] = [];
  private idleResolvers: Array<() => void> = [];

  constructor(
    readonly concurrency: number,
    readonly maxQueue: number,
    readonly timeoutMs: number,
  ) {}

  get inFlight(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }

  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.maxQueue) throw new QueueFullError();
      await new Promise<void>((resolve, reject) => {
        const w: Waiter = {
          start: () => {
            clearTimeout(w.timer);
            resolve();
          },
          timer: setTimeout(() => {
            const i = this.waiting.indexOf(w);
            if (i >= 0) this.waiting.splice(i, 1);
            reject(new QueueTimeoutError());
          }, this.timeoutMs),
        };
        this.waiting.push(w);
      });
    } else {
      this.running++;
    }
    try {
      return await job();
    } finally {
      const next = this.waiting.shift();
      if (next) next.start();
      else {
        this.running--;
        if (this.running === 0) for (const r of this.idleResolvers.splice(0)) r();
      }
    }
  }

  /** Resolves when nothing runs or waits (graceful shutdown). */
  idle(): Promise<void> {
    if (this.running === 0 && this.waiting.length === 0) return Promise.resolve();
    return new Promise((r) => this.idleResolvers.push(r));
  }
}
