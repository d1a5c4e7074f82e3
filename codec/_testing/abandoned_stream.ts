// This module imports no tfjs.
/**
 * For `compress_stream_test.ts`: a `compressStream` with two workers that codes a block and is
 * then abandoned (never closed, cancelled or aborted). The process must still exit on its own.
 *
 * @module
 */
import { compressStream } from "../compress_stream.ts";
import { loadModel } from "../../lib/model/model_file_read.ts";

const model = await loadModel(new URL("../../tests/fixtures/tiny.mgb", import.meta.url).pathname);
const stream = compressStream({ model, workers: 2, blockSize: 4096 });
stream.writable.getWriter().write(new TextEncoder().encode("hello world ".repeat(2000)));
const { value } = await stream.readable.getReader().read();
console.log(`read ${value!.length} bytes, then abandoned the stream`);
