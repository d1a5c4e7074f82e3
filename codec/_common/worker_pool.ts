// This module imports no tfjs.
/**
 * A small generic pool of Deno Web Workers. Each worker gets one `init` message when it starts
 * and then answers requests one at a time; the pool hands each request to an idle worker, or
 * queues it. Workers start only when a request finds none idle (up to the pool's size), and a
 * worker over the size, after the size was lowered, stops once idle. Once every worker has been
 * idle for {@link IDLE_MS}, they stop (the next request starts them again): a running worker
 * keeps the process alive, so a pool whose owner forgot it (a stream never closed) must not
 * hold the process forever. A worker module serves requests with {@link serveWorker}.
 *
 * @module
 */

/** What a worker posts back for request `id`. */
type Reply<Response> =
  | { id: number; ok: true; response: Response }
  | { id: number; ok: false; error: { name: string; message: string } };

interface Job<Request, Response> {
  request: Request;
  transfer: Transferable[];
  owner: unknown;
  resolve: (response: Response) => void;
  reject: (error: unknown) => void;
}

interface Slot<Request, Response> {
  worker: Worker;
  job: Job<Request, Response> | undefined;
}

/** Milliseconds after which a pool with no request running or queued stops its workers. */
export const IDLE_MS = 2000;

/** Up to `size` workers running one module, started as requests need them. */
export class WorkerPool<Init, Request, Response> {
  readonly #url: URL;
  readonly #init: Init;
  #size: number;
  readonly #slots: Slot<Request, Response>[] = [];
  readonly #queue: Job<Request, Response>[] = [];
  #nextId = 0;
  #failure: Error | undefined;
  readonly #idleMs: number;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;

  /**
   * A pool of up to `size` workers of the module at `url`, each sent `init` first. No worker
   * starts before the first request.
   *
   * @param url the worker module (it calls {@link serveWorker})
   * @param size most workers at once (≥ 1)
   * @param init the message every worker gets once, before any request
   * @param idleMs how long every worker may stay idle before they all stop
   */
  constructor(url: URL, size: number, init: Init, idleMs = IDLE_MS) {
    this.#url = url;
    this.#init = init;
    this.#size = checkSize(size);
    this.#idleMs = idleMs;
  }

  /** Most workers at once. */
  get size(): number {
    return this.#size;
  }

  /**
   * Sets the most workers at once: more start as requests need them; idle workers over the new
   * size stop now, busy ones when they finish their request.
   */
  set size(size: number) {
    this.#size = checkSize(size);
    this.#trim();
    this.#dispatch();
  }

  /** Workers running now (started and not stopped). */
  get started(): number {
    return this.#slots.length;
  }

  /** True once a worker failed or the pool was terminated: every request rejects. */
  get failed(): boolean {
    return this.#failure !== undefined;
  }

  /**
   * Runs `request` on the next idle worker; `transfer` lists buffers to move, not copy. `owner`
   * tags the request for {@link cancel}.
   */
  run(request: Request, transfer: Transferable[] = [], owner?: unknown): Promise<Response> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      this.#queue.push({ request, transfer, owner, resolve, reject });
      this.#dispatch();
    });
  }

  /** Rejects with `reason` the requests of `owner` that no worker has started yet. */
  cancel(owner: unknown, reason: unknown): void {
    for (let i = this.#queue.length - 1; i >= 0; i--) {
      const job = this.#queue[i]!;
      if (job.owner !== owner) continue;
      this.#queue.splice(i, 1);
      job.reject(reason);
    }
  }

  /** Stops every worker; pending requests reject. */
  terminate(): void {
    this.#fail(new Error("Cannot run the request: the worker pool was terminated"));
  }

  #start(): Slot<Request, Response> {
    const worker = new Worker(this.#url.href, { type: "module" });
    const slot: Slot<Request, Response> = { worker, job: undefined };
    worker.onmessage = (event: MessageEvent<Reply<Response>>) => this.#settle(slot, event.data);
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      this.#fail(new Error(`Cannot run the worker: ${event.message}`));
    };
    worker.postMessage(this.#init);
    this.#slots.push(slot);
    return slot;
  }

  #dispatch(): void {
    if (this.#failure !== undefined) return;
    while (this.#queue.length > 0) {
      let slot = this.#slots.find((s) => s.job === undefined);
      if (slot === undefined) {
        if (this.#slots.length >= this.#size) return;
        slot = this.#start();
      }
      const job = this.#queue.shift()!;
      clearTimeout(this.#idleTimer); // busy again: nothing stops
      this.#idleTimer = undefined;
      slot.job = job;
      slot.worker.postMessage({ id: this.#nextId++, request: job.request }, job.transfer);
    }
  }

  /** Stops idle workers while more than `size` run. */
  #trim(): void {
    for (let i = this.#slots.length - 1; i >= 0 && this.#slots.length > this.#size; i--) {
      const slot = this.#slots[i]!;
      if (slot.job !== undefined) continue;
      slot.worker.terminate();
      this.#slots.splice(i, 1);
    }
  }

  #settle(slot: Slot<Request, Response>, reply: Reply<Response>): void {
    const job = slot.job;
    slot.job = undefined;
    if (job !== undefined) {
      if (reply.ok) {
        job.resolve(reply.response);
      } else {
        const error = new Error(reply.error.message);
        error.name = reply.error.name;
        job.reject(error);
      }
    }
    this.#trim();
    this.#dispatch();
    this.#armIdle();
  }

  /** When no request runs or waits, stops the workers after the idle time unless one comes. */
  #armIdle(): void {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    if (this.#queue.length > 0 || this.#slots.some((s) => s.job !== undefined)) return;
    if (this.#slots.length === 0) return;
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined;
      for (let i = this.#slots.length - 1; i >= 0; i--) {
        if (this.#slots[i]!.job !== undefined) continue;
        this.#slots[i]!.worker.terminate();
        this.#slots.splice(i, 1);
      }
    }, this.#idleMs);
  }

  #fail(error: Error): void {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    this.#failure ??= error;
    for (const slot of this.#slots.splice(0)) {
      slot.job?.reject(this.#failure);
      slot.job = undefined;
      slot.worker.terminate();
    }
    for (const job of this.#queue.splice(0)) job.reject(this.#failure);
  }
}

function checkSize(size: number): number {
  if (!Number.isInteger(size) || size < 1) {
    throw new RangeError(`Cannot start a pool of ${size} workers: expected an integer ≥ 1`);
  }
  return size;
}

/**
 * The worker side: takes the first message as `init`, then answers every request with
 * `handle(init, request)`. Errors go back to the pool as rejections.
 *
 * @param handle computes a response and the buffers to transfer with it
 */
export function serveWorker<Init, Request, Response>(
  handle: (init: Init, request: Request) => Promise<[Response, Transferable[]]>,
): void {
  const scope = self as unknown as {
    onmessage: ((event: MessageEvent) => void) | null;
    postMessage(message: unknown, transfer?: Transferable[]): void;
  };
  let init: { value: Init } | undefined;
  let chain = Promise.resolve();
  scope.onmessage = (event: MessageEvent) => {
    if (init === undefined) {
      init = { value: event.data as Init };
      return;
    }
    const { id, request } = event.data as { id: number; request: Request };
    const settings = init.value;
    chain = chain.then(async () => {
      try {
        const [response, transfer] = await handle(settings, request);
        scope.postMessage({ id, ok: true, response }, transfer);
      } catch (error) {
        const e = error instanceof Error ? error : new Error(String(error));
        scope.postMessage({ id, ok: false, error: { name: e.name, message: e.message } });
      }
    });
  };
}
