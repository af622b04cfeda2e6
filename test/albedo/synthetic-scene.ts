/**
 * Synthetic ground truth for the albedo stage: a UV-mapped sphere packaged as a HeadModel, a known
 * albedo function of UV, a known SH light, and a renderer that makes the "photo" with the project
 * rasterizer (perspective-correct UVs, Lambertian SH shading, sRGB 8-bit).
 */
import { computeVertexNormals, type HeadModel } from '../../src/modelpack/head-model.js';
import { createRasterTarget, rasterizeTriangles } from '../../src/render/rasterize.js';
import { shShadingBasis, SH_COUNT } from '../../src/albedo/sh-light.js';
import { linearToSrgb8 } from '../../src/image/srgb.js';
import type { PinholeCamera, RgbaImage } from '../../src/types.js';

/**
 * Latitude-longitude sphere facing +Z: longitude phi = 0 is the front, the UV seam is at the back,
 * u = (phi + pi) / 2 pi so the mirror x -> -x is column j -> segments - j.
 */
export function buildSphereHead(radius = 0.1, rings = 64, segments = 128): HeadModel {
  const columns = segments + 1;
  const vertexCount = (rings + 1) * columns;
  const positions = new Float32Array(vertexCount * 3);
  const uvs = new Float32Array(vertexCount * 2);
  const weldGroup = new Uint32Array(vertexCount);
  const mirrorVertex = new Uint32Array(vertexCount);
  const skinWeight = new Float32Array(vertexCount);
  for (let i = 0; i <= rings; i++) {
    const theta = (Math.PI * i) / rings;
    for (let j = 0; j <= segments; j++) {
      const phi = -Math.PI + (2 * Math.PI * j) / segments;
      const v = i * columns + j;
      const x = radius * Math.sin(theta) * Math.sin(phi), y = radius * Math.cos(theta), z = radius * Math.sin(theta) * Math.cos(phi);
      positions.set([x, y, z], 3 * v);
      uvs[2 * v] = j / segments;
      uvs[2 * v + 1] = 1 - i / rings;
      weldGroup[v] = i === 0 || i === rings ? i * columns : j === segments ? i * columns : v;
      mirrorVertex[v] = i * columns + (segments - j);
      // "Face skin": a frontal cap.
      skinWeight[v] = z > 0.3 * radius && Math.abs(y) < 0.8 * radius ? 1 : 0;
    }
  }
  const indices = new Uint32Array(rings * segments * 6);
  let k = 0;
  for (let i = 0; i < rings; i++) {
    for (let j = 0; j < segments; j++) {
      const a = i * columns + j, b = (i + 1) * columns + j, c = (i + 1) * columns + j + 1, d = i * columns + j + 1;
      indices.set([a, b, c, a, c, d], k);
      k += 6;
    }
  }
  return {
    id: 'test-sphere', name: 'UV sphere', licence: 'Apache-2.0', provenance: 'generated in test',
    vertexCount, positions, uvs, indices, weldGroup,
    identityCount: 0, identityBasis: new Float32Array(0), identityStd: new Float32Array(0),
    expressionNames: [], expressionBasis: new Float32Array(0), expressionStd: new Float32Array(0),
    landmarks68: new Uint32Array(68), jawContour: new Uint32Array(0),
    mirrorVertex, skinWeight, parts: [],
  };
}

/** Base skin tone (linear) modulated by a high-frequency pattern symmetric under u -> 1 - u. */
export const SKIN = [0.5, 0.32, 0.24];
export function trueAlbedo(u: number, v: number, out: Float64Array): void {
  const pattern = 1 + 0.25 * Math.cos(2 * Math.PI * 16 * u) * Math.cos(2 * Math.PI * 8 * v);
  for (let c = 0; c < 3; c++) out[c] = SKIN[c] * pattern;
}

/** Warm key light from the upper right front plus ambient; 27 coefficients R, G, B. */
export function trueLight(): Float32Array {
  const base = [3.0, 0.9, 0.8, 0.7, 0.25, 0.15, -0.2, 0.2, 0.1];
  const tint = [1.1, 1.0, 0.85];
  const light = new Float32Array(27);
  for (let c = 0; c < 3; c++) for (let k = 0; k < SH_COUNT; k++) light[c * SH_COUNT + k] = base[k] * tint[c];
  return light;
}

/** Camera at `distance` in front of the model, turned by `yawDeg` about the model's vertical axis. */
export function makeCamera(yawDeg: number, width: number, height: number, distance = 0.5, focal = 1000, lift = 0): PinholeCamera {
  const a = (yawDeg * Math.PI) / 180;
  // p_cam = R p + t with R a rotation about Y: the head turns, the camera stays on -Z.
  const rotation = Float64Array.from([Math.cos(a), 0, Math.sin(a), 0, 1, 0, -Math.sin(a), 0, Math.cos(a)]);
  return { focal, cx: (width - 1) / 2, cy: (height - 1) / 2, rotation, translation: Float64Array.from([0, lift, -distance]) };
}

/** Albedo (linear RGB into `out`) at a surface point given its UV and its model-space rest position. */
export type AlbedoFunction = (u: number, v: number, x: number, y: number, z: number, out: Float64Array) => void;

export const sphereAlbedo: AlbedoFunction = (u, v, _x, _y, _z, out) => trueAlbedo(u, v, out);

/** Renders the model with the albedo function and SH light: RGBA sRGB 8-bit on a grey background. */
export function renderPhoto(model: HeadModel, vertices: Float32Array, camera: PinholeCamera, light: Float32Array, width: number, height: number, albedoAt: AlbedoFunction = sphereAlbedo): RgbaImage {
  const n = model.vertexCount;
  const screen = new Float32Array(n * 3);
  const R = camera.rotation, T = camera.translation;
  for (let v = 0; v < n; v++) {
    const x = vertices[3 * v], y = vertices[3 * v + 1], z = vertices[3 * v + 2];
    const X = R[0] * x + R[1] * y + R[2] * z + T[0];
    const Y = R[3] * x + R[4] * y + R[5] * z + T[1];
    const d = -(R[6] * x + R[7] * y + R[8] * z + T[2]);
    screen[3 * v] = camera.cx + (camera.focal * X) / d;
    screen[3 * v + 1] = camera.cy - (camera.focal * Y) / d;
    screen[3 * v + 2] = d;
  }
  const target = createRasterTarget(width, height);
  rasterizeTriangles(target, screen, model.indices, { cull: 'back' });
  const normals = computeVertexNormals(vertices, model.indices, model.weldGroup);
  const data = new Uint8ClampedArray(width * height * 4);
  const h = new Float64Array(SH_COUNT), albedo = new Float64Array(3);
  for (let p = 0; p < width * height; p++) {
    data[4 * p + 3] = 255;
    const t = target.triangle[p];
    if (t < 0) {
      data[4 * p] = data[4 * p + 1] = data[4 * p + 2] = 128;
      continue;
    }
    const ia = model.indices[3 * t], ib = model.indices[3 * t + 1], ic = model.indices[3 * t + 2];
    // Perspective-correct barycentrics: screen-space weights divided by depth, renormalised.
    let b1 = target.bary[2 * p] / screen[3 * ib + 2], b2 = target.bary[2 * p + 1] / screen[3 * ic + 2];
    let b0 = (1 - target.bary[2 * p] - target.bary[2 * p + 1]) / screen[3 * ia + 2];
    const sum = b0 + b1 + b2;
    b0 /= sum; b1 /= sum; b2 /= sum;
    const u = b0 * model.uvs[2 * ia] + b1 * model.uvs[2 * ib] + b2 * model.uvs[2 * ic];
    const vv = b0 * model.uvs[2 * ia + 1] + b1 * model.uvs[2 * ib + 1] + b2 * model.uvs[2 * ic + 1];
    let nx = b0 * normals[3 * ia] + b1 * normals[3 * ib] + b2 * normals[3 * ic];
    let ny = b0 * normals[3 * ia + 1] + b1 * normals[3 * ib + 1] + b2 * normals[3 * ic + 1];
    let nz = b0 * normals[3 * ia + 2] + b1 * normals[3 * ib + 2] + b2 * normals[3 * ic + 2];
    const len = Math.hypot(nx, ny, nz);
    nx /= len; ny /= len; nz /= len;
    shShadingBasis(nx, ny, nz, h);
    const rest = model.positions;
    const rx = b0 * rest[3 * ia] + b1 * rest[3 * ib] + b2 * rest[3 * ic];
    const ry = b0 * rest[3 * ia + 1] + b1 * rest[3 * ib + 1] + b2 * rest[3 * ic + 1];
    const rz = b0 * rest[3 * ia + 2] + b1 * rest[3 * ib + 2] + b2 * rest[3 * ic + 2];
    albedoAt(u, vv, rx, ry, rz, albedo);
    for (let c = 0; c < 3; c++) {
      let s = 0;
      for (let k = 0; k < SH_COUNT; k++) s += light[c * SH_COUNT + k] * h[k];
      data[4 * p + c] = linearToSrgb8(albedo[c] * s);
    }
  }
  return { width, height, data };
}

/**
 * Accumulates how far the estimated shading is from the true shading at one normal, after the
 * per-channel scale alignment (light brightness vs albedo brightness is not separable):
 * acc[0] += squared error, acc[1] += squared truth. Relative error = sqrt(acc[0] / acc[1]).
 */
export function accumulateShadingError(
  estimatedLight: Float32Array,
  scales: ArrayLike<number>,
  light: Float32Array,
  nx: number, ny: number, nz: number,
  basis: Float64Array,
  acc: Float64Array,
): void {
  shShadingBasis(nx, ny, nz, basis);
  for (let c = 0; c < 3; c++) {
    let estimated = 0, actual = 0;
    for (let k = 0; k < SH_COUNT; k++) {
      estimated += estimatedLight[c * SH_COUNT + k] * scales[c] * basis[k];
      actual += light[c * SH_COUNT + k] * basis[k];
    }
    acc[0] += (estimated - actual) ** 2;
    acc[1] += actual ** 2;
  }
}
