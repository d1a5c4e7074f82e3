// This module imports no tfjs.
/**
 * A small generic pool of Deno Web Workers. Each worker gets one `init` message when it starts
 * and then answers requests one at a time; the pool hands each request to an idle worker, or
 * queues it. A worker module serves requests with {@link serveWorker}.
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
  resolve: (response: Response) => void;
  reject: (error: unknown) => void;
}

interface Slot<Request, Response> {
  worker: Worker;
  job: Job<Request, Response> | undefined;
}

/** A fixed number of workers running one module. */
export class WorkerPool<Init, Request, Response> {
  readonly #slots: Slot<Request, Response>[] = [];
  readonly #queue: Job<Request, Response>[] = [];
  #nextId = 0;
  #failure: Error | undefined;

  /**
   * Starts `size` workers of the module at `url`, each sent `init` first.
   *
   * @param url the worker module (it calls {@link serveWorker})
   * @param size number of workers (≥ 1)
   * @param init the message every worker gets once, before any request
   */
  constructor(url: URL, size: number, init: Init) {
    if (!Number.isInteger(size) || size < 1) {
      throw new RangeError(`Cannot start a pool of ${size} workers: expected an integer ≥ 1`);
    }
    for (let i = 0; i < size; i++) {
      const worker = new Worker(url.href, { type: "module" });
      const slot: Slot<Request, Response> = { worker, job: undefined };
      worker.onmessage = (event: MessageEvent<Reply<Response>>) => this.#settle(slot, event.data);
      worker.onerror = (event: ErrorEvent) => {
        event.preventDefault();
        this.#fail(new Error(`Cannot run the worker: ${event.message}`));
      };
      worker.postMessage(init);
      this.#slots.push(slot);
    }
  }

  /** Number of workers. */
  get size(): number {
    return this.#slots.length;
  }

  /** Runs `request` on the next idle worker; `transfer` lists buffers to move, not copy. */
  run(request: Request, transfer: Transferable[] = []): Promise<Response> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      this.#queue.push({ request, transfer, resolve, reject });
      this.#dispatch();
    });
  }

  /** Stops every worker; pending requests reject. */
  terminate(): void {
    this.#fail(new Error("Cannot run the request: the worker pool was terminated"));
  }

  #dispatch(): void {
    for (const slot of this.#slots) {
      if (slot.job !== undefined) continue;
      const job = this.#queue.shift();
      if (job === undefined) return;
      slot.job = job;
      slot.worker.postMessage({ id: this.#nextId++, request: job.request }, job.transfer);
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
    this.#dispatch();
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const slot of this.#slots) {
      slot.job?.reject(this.#failure);
      slot.job = undefined;
      slot.worker.terminate();
    }
    for (const job of this.#queue.splice(0)) job.reject(this.#failure);
  }
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
