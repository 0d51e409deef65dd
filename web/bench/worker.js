// The module Worker web/bench/index.html runs the benchmark in (the default, as Generator runs the engine): the
// options come in one message; log lines, then { result } or { error }, go back.
import { runBench } from './bench.js';

self.onmessage = async ({ data }) => {
  try {
    const result = await runBench({ ...data, log: (line) => self.postMessage({ log: line }) });
    self.postMessage({ result });
  } catch (e) {
    self.postMessage({ error: e.message });
  }
};
