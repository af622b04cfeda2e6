/**
 * Eyeballs: UV spheres behind the eye openings. Their UVs are an azimuthal-equidistant map around the
 * +Z axis: the pupil (front pole, +Z) is at UV (0.5, 0.5), the iris a disk around it and the back pole
 * on the outer circle, which suits a procedural iris texture.
 */
import type { SubMesh } from '../head-model.js';

export const EYE_RADIUS = 0.012;

export function buildEyeball(name: 'eyeLeft' | 'eyeRight', centre: [number, number, number], radius = EYE_RADIUS, rings = 24, segments = 32): SubMesh {
  const positions: number[] = [];
  const uvs: number[] = [];
  const indices: number[] = [];
  // Vertex 0: front pole; then rings 1..rings-1 of `segments` vertices; last: back pole.
  positions.push(centre[0], centre[1], centre[2] + radius);
  uvs.push(0.5, 0.5);
  for (let r = 1; r < rings; r++) {
    const theta = (Math.PI * r) / rings;
    for (let s = 0; s < segments; s++) {
      const psi = (2 * Math.PI * s) / segments;
      const sx = Math.sin(theta) * Math.cos(psi), sy = Math.sin(theta) * Math.sin(psi), sz = Math.cos(theta);
      positions.push(centre[0] + radius * sx, centre[1] + radius * sy, centre[2] + radius * sz);
      const rho = (0.5 * theta) / Math.PI;
      uvs.push(0.5 + rho * Math.cos(psi), 0.5 + rho * Math.sin(psi));
    }
  }
  const back = positions.length / 3;
  positions.push(centre[0], centre[1], centre[2] - radius);
  uvs.push(0.5, 0);
  const ringStart = (r: number) => 1 + (r - 1) * segments;
  for (let s = 0; s < segments; s++) {
    const s1 = (s + 1) % segments;
    indices.push(0, ringStart(1) + s, ringStart(1) + s1);
    for (let r = 1; r < rings - 1; r++) {
      const a = ringStart(r) + s, b = ringStart(r) + s1, c = ringStart(r + 1) + s, d = ringStart(r + 1) + s1;
      indices.push(a, c, d, a, d, b);
    }
    indices.push(back, ringStart(rings - 1) + s1, ringStart(rings - 1) + s);
  }
  return {
    name,
    positions: Float32Array.from(positions),
    indices: Uint32Array.from(indices),
    uvs: Float32Array.from(uvs),
    pivot: Float32Array.from(centre),
    material: 'eye',
  };
}
