/**
 * One-Euro filter (Casiez, Roussel and Vogel, CHI 2012) over a fixed number of channels: a low-pass
 * whose cutoff rises with the signal's speed, so still faces stop jittering while fast motion
 * keeps little lag. State lives in typed arrays; filtering allocates nothing.
 */

export interface OneEuroParameters {
  /** Cutoff at rest, Hz (lower = steadier). */
  minCutoff: number;
  /** How fast the cutoff rises with speed (higher = less lag on fast moves). */
  beta: number;
  /** Cutoff of the speed estimate, Hz. */
  derivativeCutoff: number;
}

function smoothingFactor(cutoffHz: number, dtSeconds: number): number {
  const tau = 1 / (2 * Math.PI * cutoffHz);
  return 1 / (1 + tau / dtSeconds);
}

export class OneEuroFilter {
  private readonly value: Float64Array;
  private readonly speed: Float64Array;
  private lastTime = NaN;

  constructor(readonly channels: number, private readonly parameters: OneEuroParameters) {
    this.value = new Float64Array(channels);
    this.speed = new Float64Array(channels);
  }

  reset(): void {
    this.lastTime = NaN;
  }

  /** Filters `input` taken at `timeSeconds` in place (the first sample passes through). */
  filter(input: Float64Array, timeSeconds: number): Float64Array {
    const { value, speed, parameters } = this;
    if (!Number.isFinite(this.lastTime) || !(timeSeconds > this.lastTime)) {
      if (!Number.isFinite(this.lastTime)) {
        value.set(input.subarray(0, this.channels));
        speed.fill(0);
      } else {
        input.set(value);
      }
      this.lastTime = Number.isFinite(this.lastTime) ? this.lastTime : timeSeconds;
      return input;
    }
    const dt = timeSeconds - this.lastTime;
    this.lastTime = timeSeconds;
    const derivativeAlpha = smoothingFactor(parameters.derivativeCutoff, dt);
    for (let c = 0; c < this.channels; c++) {
      const rawSpeed = (input[c] - value[c]) / dt;
      speed[c] += derivativeAlpha * (rawSpeed - speed[c]);
      const alpha = smoothingFactor(parameters.minCutoff + parameters.beta * Math.abs(speed[c]), dt);
      value[c] += alpha * (input[c] - value[c]);
      input[c] = value[c];
    }
    return input;
  }
}
