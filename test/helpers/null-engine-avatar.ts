/**
 * A Babylon avatar of the test head (default pack, else the synthetic one) with rich avatar data,
 * in a 1280×720 NullEngine scene: what the plugin tests that need a live avatar but no pixels share.
 * useNullEngineAvatar builds one before a suite's tests and disposes of it after them.
 */
import { NullEngine } from '@babylonjs/core/Engines/nullEngine.js';
import { Scene } from '@babylonjs/core/scene.js';
import type { Avatar } from '../../src/plugin/avatar.js';
import { buildAvatar } from '../../src/plugin/build-avatar.js';
import { richAvatarData, testModel } from '../avatar-file/fixtures.js';
import { syntheticAlbedo } from '../export/synthetic-avatar.js';

export interface NullEngineAvatar {
  engine: NullEngine;
  scene: Scene;
  avatar: Avatar;
  /** Which head the avatar was built on. */
  source: string;
  dispose(): void;
}

export async function nullEngineAvatar(): Promise<NullEngineAvatar> {
  const engine = new NullEngine({ renderWidth: 1280, renderHeight: 720, textureSize: 512, deterministicLockstep: false, lockstepMaxSteps: 1 });
  const scene = new Scene(engine);
  const loaded = await testModel();
  const avatar = buildAvatar(scene, richAvatarData(loaded.model, syntheticAlbedo(128)));
  return {
    engine, scene, avatar, source: loaded.source,
    dispose() {
      avatar.dispose();
      scene.dispose();
      engine.dispose();
    },
  };
}

/** Registers the current suite's before / after hooks: one avatar built before its tests (handed to `receive`), disposed of after them. */
export function useNullEngineAvatar(receive: (live: NullEngineAvatar) => void): void {
  let live: NullEngineAvatar | undefined;
  before(async function () {
    live = await nullEngineAvatar();
    receive(live);
  });
  after(function () {
    live?.dispose();
  });
}
