/**
 * The head's morph-target texture, filled in steps. Babylon's MorphTargetManager keeps all targets
 * in one RGBA float texture array (a layer per target; per vertex one texel of position, then one
 * of normal) and fills and uploads it in one call when its updates are unfrozen: for the default
 * head's 52 targets, 29 MB, the build's longest task (about half filling in JavaScript, half the
 * upload). SteppedMorphTargetManager lets the build fill the layers one target per step, so the
 * unfreeze only uploads.
 */
import type { Scene } from '@babylonjs/core/scene.js';
import { MorphTargetManager } from '@babylonjs/core/Morph/morphTargetManager.js';
import { RawTexture2DArray } from '@babylonjs/core/Materials/Textures/rawTexture2DArray.js';
import type { Mesh } from '@babylonjs/core/Meshes/mesh.js';

/** The fields synchronize() sets, which Babylon declares private (@babylonjs/core 9.x). */
interface ManagerFields {
  _scene: Scene | null;
  _supportsPositions: boolean;
  _supportsNormals: boolean;
  _supportsTangents: boolean;
  _supportsUVs: boolean;
  _supportsUV2s: boolean;
  _supportsColors: boolean;
  _vertexCount: number;
  _textureVertexStride: number;
  _textureWidth: number;
  _textureHeight: number;
}

/** Texture data packed ahead, in Babylon's layout, for targets with positions and normals only. */
interface PackedTargets {
  data: Float32Array;
  width: number;
  height: number;
  vertexCount: number;
  targetCount: number;
  withNormals: boolean;
}

/** Texels per row and rows of one layer: Babylon wraps a layer's texels at the largest texture size. */
export function morphTextureSize(vertexCount: number, withNormals: boolean, maxTextureSize: number): { width: number; height: number } {
  const texels = vertexCount * (withNormals ? 2 : 1) || 1;
  return texels > maxTextureSize ? { width: maxTextureSize, height: Math.ceil(texels / maxTextureSize) } : { width: texels, height: 1 };
}

/** Writes one target's positions (and normals) into its layer of `data`, as Babylon's synchronize does. */
export function packMorphLayer(data: Float32Array, layer: number, layerFloats: number, positions: Float32Array, normals: Float32Array | null): void {
  let offset = layer * layerFloats;
  const vertexCount = positions.length / 3;
  for (let v = 0; v < vertexCount; v++) {
    const i = 3 * v;
    data[offset] = positions[i];
    data[offset + 1] = positions[i + 1];
    data[offset + 2] = positions[i + 2];
    offset += 4;
    if (normals) {
      data[offset] = normals[i];
      data[offset + 1] = normals[i + 1];
      data[offset + 2] = normals[i + 2];
      offset += 4;
    }
  }
}

export class SteppedMorphTargetManager extends MorphTargetManager {
  private packed: PackedTargets | null = null;

  /**
   * Starts the texture data for `targetCount` targets of `vertexCount` vertices; fill each layer
   * with packLayer before the updates are unfrozen. Null where the targets do not go to a texture
   * (then Babylon's own synchronize runs).
   */
  startPacking(vertexCount: number, targetCount: number, withNormals: boolean): { packLayer(layer: number, positions: Float32Array, normals: Float32Array | null): void } | null {
    const scene = (this as unknown as ManagerFields)._scene;
    const caps = scene?.getEngine().getCaps();
    if (!caps || !this.isUsingTextureForTargets || targetCount === 0 || targetCount > caps.texture2DArrayMaxLayerCount) return null;
    const { width, height } = morphTextureSize(vertexCount, withNormals, caps.maxTextureSize);
    const layerFloats = width * height * 4;
    const packed: PackedTargets = { data: new Float32Array(targetCount * layerFloats), width, height, vertexCount, targetCount, withNormals };
    this.packed = packed;
    return { packLayer: (layer, positions, normals) => packMorphLayer(packed.data, layer, layerFloats, positions, normals) };
  }

  /** Babylon's synchronize, from the packed data when it matches the targets (once); else Babylon's own. */
  override synchronize(): void {
    const packed = this.packed;
    const fields = this as unknown as ManagerFields;
    const scene = fields._scene;
    if (!packed || !scene || this.areUpdatesFrozen || !this.isUsingTextureForTargets || !this.matches(packed)) {
      if (!this.areUpdatesFrozen) this.packed = null;
      super.synchronize();
      return;
    }
    this.packed = null;
    fields._supportsPositions = true;
    fields._supportsNormals = packed.withNormals;
    fields._supportsTangents = fields._supportsUVs = fields._supportsUV2s = fields._supportsColors = false;
    fields._vertexCount = packed.vertexCount;
    this._targetStoreTexture?.dispose();
    fields._textureVertexStride = packed.withNormals ? 2 : 1;
    fields._textureWidth = packed.width;
    fields._textureHeight = packed.height;
    // Nearest sampling, float texels: as Babylon's synchronize.
    this._targetStoreTexture = RawTexture2DArray.CreateRGBATexture(packed.data, packed.width, packed.height, packed.targetCount, scene, false, false, 1, 1);
    this._targetStoreTexture.name = `Morph texture_${this.uniqueId}`;
    for (const mesh of scene.meshes) {
      if (mesh.morphTargetManager === this) (mesh as Mesh)._syncGeometryWithMorphTargetManager();
    }
  }

  /** The targets are those packed: count, vertex count, positions and normals and nothing else. */
  private matches(packed: PackedTargets): boolean {
    if (this.numTargets !== packed.targetCount) return false;
    for (let k = 0; k < this.numTargets; k++) {
      const target = this.getTarget(k);
      if (target.vertexCount !== packed.vertexCount || !target.hasPositions || target.hasNormals !== packed.withNormals
        || target.hasTangents || target.hasUVs || target.hasUV2s || target.hasColors) return false;
    }
    return true;
  }
}
