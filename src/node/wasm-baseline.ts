/**
 * Node-only: keeps V8 on its baseline WebAssembly compiler (Liftoff) for the rest of the process.
 *
 * While onnxruntime creates its first sessions, V8's dynamic tiering recompiles the hot functions
 * of ort's 14 MB binary with TurboFan on the spare core. In a process that makes one avatar (the
 * CLI) that costs more than it saves: measured on the 2-core machine, the four face-model sessions
 * took 1.0 s and +110 MiB resident instead of 2.6 s and +320 MiB. Liftoff's code runs the models
 * about 2x slower (warm face analysis 0.46 s against 0.19 s), less than tier-up costs one avatar;
 * a long-lived app that makes many avatars wants the optimised code and should not call this.
 * Must run before the first WASM compile.
 */
import v8 from 'node:v8';

export function preferBaselineWasmCompiler(): void {
  v8.setFlagsFromString('--liftoff-only');
}
