/**
 * Node-only settings for a process that makes one avatar and exits (the CLI's `create`). A
 * long-lived application that makes many avatars should not use them: it pays these costs once
 * and then runs faster without the settings.
 *
 * - V8 stays on its baseline WebAssembly compiler (Liftoff). While onnxruntime creates its first
 *   sessions, V8's dynamic tiering recompiles the hot functions of ort's 14 MB binary with
 *   TurboFan on the spare core. Measured on the 2-core machine, the four face-model sessions took
 *   1.0 s and +110 MiB resident instead of 2.6 s and +320 MiB. Liftoff's code runs the models about
 *   2x slower (warm face analysis 0.46 s against 0.19 s), which costs one avatar less than the tier-up.
 * - onnxruntime gets one WASM thread (ONE_AVATAR_THREADS).
 *
 * Must run before the first WASM compile and the first onnxruntime session.
 */
import v8 from 'node:v8';
import { configureRuntime } from '../inference/runtime.js';

/**
 * onnxruntime's WASM threads for one avatar. With Node's default here (min(4, cores): 2) ort
 * starts a thread worker, and the main thread sits idle for about 0.2 s of a cold run while it
 * starts. The worker stays resident, and its spin-waits compete with everything else on a busy
 * machine (figures: docs/performance.md, "One thread for one avatar").
 */
const ONE_AVATAR_THREADS = 1;

export function configureOneAvatarProcess(): void {
  v8.setFlagsFromString('--liftoff-only');
  configureRuntime({ numThreads: ONE_AVATAR_THREADS });
}
