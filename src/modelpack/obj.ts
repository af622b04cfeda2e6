import type { HeadModel } from './head-model.js';

/** Wavefront OBJ of the neutral head and its parts (debugging aid; v up as in the model). */
export function writeObj(model: HeadModel): string {
  const lines: string[] = [`# ${model.name} (${model.id}), ${model.licence}`];
  let base = 1;
  const emit = (name: string, positions: Float32Array, uvs: Float32Array, indices: Uint32Array) => {
    lines.push(`o ${name}`);
    for (let i = 0; i < positions.length; i += 3) lines.push(`v ${positions[i].toFixed(6)} ${positions[i + 1].toFixed(6)} ${positions[i + 2].toFixed(6)}`);
    for (let i = 0; i < uvs.length; i += 2) lines.push(`vt ${uvs[i].toFixed(6)} ${uvs[i + 1].toFixed(6)}`);
    for (let t = 0; t < indices.length; t += 3) {
      const a = indices[t] + base, b = indices[t + 1] + base, c = indices[t + 2] + base;
      lines.push(`f ${a}/${a} ${b}/${b} ${c}/${c}`);
    }
    base += positions.length / 3;
  };
  emit('head', model.positions, model.uvs, model.indices);
  for (const part of model.parts) emit(part.name, part.positions, part.uvs, part.indices);
  return `${lines.join('\n')}\n`;
}
