// This module imports no tfjs.
/**
 * A worker for the tests of `worker_pool.ts`: answers each request, after `delay` ms, with its
 * value, the `tag` it was started with and an id of this worker.
 *
 * @module
 */
import { serveWorker } from "../_common/worker_pool.ts";

/** What the echo worker gets once. */
export interface EchoInit {
  /** Sent back with every answer. */
  tag: string;
}

/** One request: echo `value` after `delay` ms, or throw when `fail` is set. */
export interface EchoRequest {
  value: number;
  delay: number;
  fail?: boolean;
}

/** The answer. */
export interface EchoResponse {
  value: number;
  tag: string;
  worker: string;
}

const id = crypto.randomUUID();

serveWorker<EchoInit, EchoRequest, EchoResponse>(async (init, request) => {
  await new Promise((resolve) => setTimeout(resolve, request.delay));
  if (request.fail) throw new RangeError(`echo ${request.value} failed`);
  return [{ value: request.value, tag: init.tag, worker: id }, []];
});
