// Ctrl-C during `ddpm-wasm train` (the wasm CLI under Node; --pre-js of ddpm-cli.js, tools/cli/CMakeLists.txt).
// Node runs signal handlers on its event loop, which main() never returns to while it trains, so this program
// cannot see a signal itself. The npm package's launcher (web/bin/ddpm-wasm.js) catches it instead and writes a
// byte to a pipe, the descriptor DDPM_WASM_INTERRUPT_FD; a worker thread, which has an event loop of its own,
// reads it and raises a flag that `train` polls after every step (tools/cli/cmd_train.cc): the run then writes
// its checkpoint and exits with 130, as the native CLI does. Without the variable nothing changes.
if (typeof process === 'object' && process.env.DDPM_WASM_INTERRUPT_FD && require('worker_threads').isMainThread) {
  const interruptFlag = new Int32Array(new SharedArrayBuffer(4));
  Module['ddpmInterrupted'] = () => Atomics.load(interruptFlag, 0);
  // The launcher relays the signals (the terminal sends Ctrl-C to both processes): do not die of them here.
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => {});
  const watcher = new (require('worker_threads').Worker)(`
    const { workerData } = require('worker_threads');
    const flag = new Int32Array(workerData.flag);
    const pipe = new (require('net').Socket)({ fd: workerData.fd, readable: true, writable: false });
    pipe.on('data', () => Atomics.store(flag, 0, 1));
    pipe.on('error', () => {});
  `, { eval: true, workerData: { fd: Number(process.env.DDPM_WASM_INTERRUPT_FD), flag: interruptFlag.buffer } });
  watcher.unref();  // the program exits when main() returns, as without it
}
