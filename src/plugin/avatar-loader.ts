/**
 * Babylon scene-loader plugins for the project's files, so the standard loading functions work:
 *
 *   registerAvatarLoaders();
 *   await AppendSceneAsync('bob.avatar', scene);             // or ImportMeshAsync / LoadAssetContainerAsync
 *   const avatar = getAvatar(scene.getTransformNodeByName('bob'));
 *
 * `.avatar` files (../avatar-file/format.ts) hold only coefficients, light, material settings and
 * a JPEG albedo; the geometry is rebuilt through buildAvatar from the model pack the file names.
 * DEFAULT_HEAD_ID resolves to the embedded default head (loadDefaultHead); files that name a retired
 * default head get an error saying to re-create them (../modelpack/head-ids.ts); other packs are made
 * known with registerModelPack(id, loader), or by loading their `.pack` file through the `.pack`
 * plugin (which registers the pack and adds nothing to the scene).
 *
 * Sources: URLs (fetched by Babylon), base64 data: URLs and Uint8Array/ArrayBuffer views (both
 * with `pluginExtension: '.avatar'`), File/Blob objects.
 */
import { AssetContainer } from '@babylonjs/core/assetContainer.js';
import type { ISceneLoaderAsyncResult, ISceneLoaderPluginAsync, ISceneLoaderPluginExtensions, ISceneLoaderProgressEvent } from '@babylonjs/core/Loading/sceneLoader.js';
import { RegisterSceneLoaderPlugin } from '@babylonjs/core/Loading/sceneLoader.js';
import type { AbstractMesh } from '@babylonjs/core/Meshes/abstractMesh.js';
import type { TransformNode } from '@babylonjs/core/Meshes/transformNode.js';
import type { Node } from '@babylonjs/core/node.js';
import type { Scene } from '@babylonjs/core/scene.js';
import type { IFileRequest } from '@babylonjs/core/Misc/fileRequest.js';
import type { LoadFileError } from '@babylonjs/core/Misc/fileTools.js';
import type { WebRequest } from '@babylonjs/core/Misc/webRequest.js';
import { readAvatarFileContents, resolveAvatarFileModel, type AvatarMaterialParameters } from '../avatar-file/format.js';
import { PhotoAvatarError } from '../errors.js';
import { readPack } from '../modelpack/format.js';
import { loadDefaultHead } from '../pipeline.js';
import type { HeadModel } from '../modelpack/head-model.js';
import { DEFAULT_HEAD_ID, retiredHeadError } from '../modelpack/head-ids.js';
import type { Avatar } from './avatar.js';
import { buildAvatar, buildAvatarInSlices, type BuildAvatarOptions } from './build-avatar.js';
import { inWorkerOrHere, readAvatarFileInWorker, type WorkerChoice } from '../worker/client.js';

export { DEFAULT_HEAD_ID } from '../modelpack/head-ids.js';

export type ModelPackLoader = () => HeadModel | Promise<HeadModel>;

/** The default head comes from the pipeline's shared cache: one decoded copy per page/process. */
const packLoaders = new Map<string, ModelPackLoader>([[DEFAULT_HEAD_ID, loadDefaultHead]]);
const packCache = new Map<string, Promise<HeadModel>>();

/** Makes a model pack available to .avatar loading under `id` (a loaded model or a loader called once, on demand). */
export function registerModelPack(id: string, source: ModelPackLoader | HeadModel): void {
  if (typeof id !== 'string' || id.length === 0) throw new PhotoAvatarError('INVALID_ARGUMENT', 'A model pack id must be a non-empty string.');
  packLoaders.set(id, typeof source === 'function' ? source : () => source);
  packCache.delete(id);
}

/** The model pack registered under `id`; UNSUPPORTED_MODEL_PACK when there is none. */
export function resolveModelPack(id: string): Promise<HeadModel> {
  let pending = packCache.get(id);
  if (!pending) {
    const loader = packLoaders.get(id);
    if (!loader) {
      const retired = retiredHeadError(id);
      if (retired) return Promise.reject(retired);
      const known = [...packLoaders.keys()].join(', ');
      return Promise.reject(new PhotoAvatarError('UNSUPPORTED_MODEL_PACK', `No model pack '${id}' is registered (known: ${known}); call registerModelPack('${id}', loader) first.`));
    }
    pending = Promise.resolve().then(loader);
    packCache.set(id, pending);
    pending.catch(() => packCache.delete(id));
  }
  return pending;
}

const avatarsByRoot = new WeakMap<Node, Avatar>();

/** The Avatar an .avatar load created, from its root node (or any node under it). */
export function getAvatar(node: Node | null | undefined): Avatar | undefined {
  for (let current = node ?? null; current; current = current.parent) {
    const avatar = avatarsByRoot.get(current);
    if (avatar) return avatar;
  }
  return undefined;
}

export interface LoadAvatarOptions extends BuildAvatarOptions, WorkerChoice {
  /** Overrides the pack lookup (default: resolveModelPack). */
  resolveModel?: (modelId: string) => Promise<HeadModel>;
}

/** .avatar bytes -> an Avatar in `scene` (what the loader plugin does, without the loader machinery). */
export function loadAvatar(scene: Scene, bytes: Uint8Array, options: LoadAvatarOptions = {}): Promise<Avatar> {
  return readAndBuild(scene, bytes, options, false);
}

/**
 * `detached`: build without adding anything to the scene's lists (for asset containers), in one
 * task. Otherwise, where browsers have the avatar worker, the file is read there (albedo decode,
 * head shape, hair fit, build arrays) and the Babylon objects are made in short tasks
 * (buildAvatarInSlices), so loading a saved avatar does not freeze the page.
 */
async function readAndBuild(scene: Scene, bytes: Uint8Array, options: LoadAvatarOptions, detached: boolean): Promise<Avatar> {
  return detached ? readAndBuildHere(scene, bytes, options, true)
    : inWorkerOrHere(options, 'the .avatar file is read', () => readAndBuildInWorker(scene, bytes, options), () => readAndBuildHere(scene, bytes, options, false));
}

async function readAndBuildHere(scene: Scene, bytes: Uint8Array, options: LoadAvatarOptions, detached: boolean): Promise<Avatar> {
  const contents = await readAvatarFileContents(bytes, options.resolveModel ?? resolveModelPack);
  if (scene.isDisposed) throw new PhotoAvatarError('ABORTED', 'The scene was disposed while the avatar was loading.');
  // Babylon's own loaders fill asset containers the same way: entities are created while the
  // scene refuses to list them, so no scene observer ever sees them before addAllToScene().
  const blocked = scene._blockEntityCollection;
  scene._blockEntityCollection = detached || blocked;
  let avatar: Avatar;
  try {
    avatar = buildAvatar(scene, contents.data, options);
  } finally {
    scene._blockEntityCollection = blocked;
  }
  return withFileSettings(avatar, contents.material);
}

/** The loaded avatar with its file's material settings, findable by getAvatar. */
function withFileSettings(avatar: Avatar, material: AvatarMaterialParameters | undefined): Avatar {
  if (material) avatar.applyMaterialParameters(material);
  avatarsByRoot.set(avatar.root, avatar);
  return avatar;
}

async function readAndBuildInWorker(scene: Scene, bytes: Uint8Array, options: LoadAvatarOptions): Promise<Avatar> {
  const model = await resolveAvatarFileModel(bytes, options.resolveModel ?? resolveModelPack);
  const { morphNormals, irisColor, roughnessMap, mouthInterior } = options;
  const { contents, arrays } = await readAvatarFileInWorker(bytes, model, { morphNormals, irisColor, roughnessMap, mouthInterior }, options.workerTimeoutMs);
  if (scene.isDisposed) throw new PhotoAvatarError('ABORTED', 'The scene was disposed while the avatar was loading.');
  const { avatar } = await buildAvatarInSlices(scene, contents.data, arrays, options);
  return withFileSettings(avatar, contents.material);
}

// ---------------------------------------------------------------------------------------------
// Shared file plumbing

type LoadSuccess = (data: unknown, responseURL?: string) => void;
type LoadFailure = (request?: WebRequest, exception?: LoadFileError) => void;

function bytesOf(data: unknown): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new PhotoAvatarError('CORRUPT_INPUT_FILE', 'The loader received text instead of binary data.');
}

/** Binary file loading for both plugins: in-memory views and Blobs directly, URLs through the scene. */
function loadBinaryFile(scene: Scene, fileOrUrl: File | string | ArrayBufferView, onSuccess: LoadSuccess, onProgress: ((ev: ISceneLoaderProgressEvent) => void) | undefined, onError: LoadFailure | undefined): IFileRequest | null {
  if (ArrayBuffer.isView(fileOrUrl)) {
    onSuccess(new Uint8Array(fileOrUrl.buffer, fileOrUrl.byteOffset, fileOrUrl.byteLength));
    return null;
  }
  if (typeof fileOrUrl !== 'string') {
    // Blob.arrayBuffer works in browsers and Node; Babylon's File path needs FileReader (browsers only).
    fileOrUrl.arrayBuffer().then((buffer) => onSuccess(new Uint8Array(buffer)), (error: unknown) => onError?.(undefined, error as LoadFileError));
    return null;
  }
  return scene._loadFile(fileOrUrl, (data) => onSuccess(data), onProgress as ((ev: ProgressEvent) => void) | undefined, true, true, onError);
}

function emptyResult(): ISceneLoaderAsyncResult {
  return { meshes: [], particleSystems: [], skeletons: [], animationGroups: [], transformNodes: [], geometries: [], lights: [], spriteManagers: [] };
}

/** Everything an avatar put in the scene (the nodes under root, its materials, textures, morph targets). */
function avatarNodes(avatar: Avatar): { meshes: AbstractMesh[]; transformNodes: TransformNode[] } {
  const meshes: AbstractMesh[] = [];
  const transformNodes: TransformNode[] = [avatar.root];
  for (const node of avatar.root.getDescendants(false)) {
    if ((node as AbstractMesh).getTotalVertices !== undefined) meshes.push(node as AbstractMesh);
    else transformNodes.push(node as TransformNode);
  }
  return { meshes, transformNodes };
}

// ---------------------------------------------------------------------------------------------
// .avatar

export class AvatarFileLoaderPlugin implements ISceneLoaderPluginAsync {
  readonly name = 'photo-avatar';
  readonly extensions: ISceneLoaderPluginExtensions = { '.avatar': { isBinary: true, mimeType: 'application/x-photo-avatar' } };
  private readonly options: LoadAvatarOptions;

  constructor(options: LoadAvatarOptions = {}) {
    this.options = options;
  }

  loadFile(scene: Scene, fileOrUrl: File | string | ArrayBufferView, _rootUrl: string, onSuccess: LoadSuccess, onProgress?: (ev: ISceneLoaderProgressEvent) => void, _useArrayBuffer?: boolean, onError?: LoadFailure): IFileRequest | null {
    return loadBinaryFile(scene, fileOrUrl, onSuccess, onProgress, onError);
  }

  private async build(scene: Scene, data: unknown, fileName: string | undefined, detached = false): Promise<Avatar> {
    const name = this.options.name ?? nameFromFile(fileName);
    return readAndBuild(scene, bytesOf(data), { ...this.options, name }, detached);
  }

  async importMeshAsync(_meshesNames: string | readonly string[] | null | undefined, scene: Scene, data: unknown, _rootUrl: string, _onProgress?: (event: ISceneLoaderProgressEvent) => void, fileName?: string): Promise<ISceneLoaderAsyncResult> {
    // An avatar is one rig: importing a subset of its meshes would leave a broken head, so names are not filtered.
    const avatar = await this.build(scene, data, fileName);
    return { ...emptyResult(), ...avatarNodes(avatar), skeletons: [avatar.skeleton] };
  }

  async loadAsync(scene: Scene, data: unknown, _rootUrl: string, _onProgress?: (event: ISceneLoaderProgressEvent) => void, fileName?: string): Promise<void> {
    await this.build(scene, data, fileName);
  }

  async loadAssetContainerAsync(scene: Scene, data: unknown, _rootUrl: string, _onProgress?: (event: ISceneLoaderProgressEvent) => void, fileName?: string): Promise<AssetContainer> {
    const avatar = await this.build(scene, data, fileName, true);
    const container = new AssetContainer(scene);
    const { meshes, transformNodes } = avatarNodes(avatar);
    container.meshes.push(...meshes);
    container.transformNodes.push(...transformNodes);
    const materials = new Set(meshes.map((m) => m.material).filter((m) => m !== null));
    container.materials.push(...materials);
    for (const material of materials) for (const texture of material.getActiveTextures()) if (!container.textures.includes(texture)) container.textures.push(texture);
    container.morphTargetManagers.push(avatar.morphTargetManager);
    container.skeletons.push(avatar.skeleton);
    for (const entity of [...meshes, ...transformNodes, ...container.materials, ...container.textures, avatar.morphTargetManager, avatar.skeleton]) {
      (entity as { _parentContainer?: unknown })._parentContainer = container;
    }
    return container;
  }
}

/** 'bob' for '.../bob.avatar?v=2'; 'avatar' for data: URLs and in-memory data (Babylon names those with a random id). */
function nameFromFile(fileName: string | undefined): string {
  if (!fileName || fileName.startsWith('data:')) return 'avatar';
  const base = fileName.replace(/[?#].*$/, '').split(/[\\/]/).pop() ?? '';
  const match = /^(.+)\.avatar$/i.exec(base);
  return match ? match[1] : 'avatar';
}

// ---------------------------------------------------------------------------------------------
// .pack

/**
 * Loading a `.pack` file registers the model pack under its id for later .avatar loads (it adds
 * nothing to the scene: a pack is shared data, not an object).
 */
export class ModelPackLoaderPlugin implements ISceneLoaderPluginAsync {
  readonly name = 'photo-avatar-pack';
  readonly extensions: ISceneLoaderPluginExtensions = { '.pack': { isBinary: true, mimeType: 'application/x-photo-avatar-pack' } };
  /** Called with each pack registered through this plugin. */
  onPackRegistered: ((model: HeadModel) => void) | null = null;

  loadFile(scene: Scene, fileOrUrl: File | string | ArrayBufferView, _rootUrl: string, onSuccess: LoadSuccess, onProgress?: (ev: ISceneLoaderProgressEvent) => void, _useArrayBuffer?: boolean, onError?: LoadFailure): IFileRequest | null {
    return loadBinaryFile(scene, fileOrUrl, onSuccess, onProgress, onError);
  }

  private register(data: unknown): void {
    // readPack keeps views into the bytes: copy data Babylon might reuse.
    const model = readPack(bytesOf(data).slice());
    registerModelPack(model.id, model);
    this.onPackRegistered?.(model);
  }

  async importMeshAsync(_names: string | readonly string[] | null | undefined, _scene: Scene, data: unknown): Promise<ISceneLoaderAsyncResult> {
    this.register(data);
    return emptyResult();
  }

  async loadAsync(_scene: Scene, data: unknown): Promise<void> {
    this.register(data);
  }

  async loadAssetContainerAsync(scene: Scene, data: unknown): Promise<AssetContainer> {
    this.register(data);
    return new AssetContainer(scene);
  }
}

let registered = false;

/** Registers the .avatar and .pack plugins with Babylon's scene loader (once; later calls do nothing). */
export function registerAvatarLoaders(options: LoadAvatarOptions = {}): void {
  if (registered) return;
  registered = true;
  RegisterSceneLoaderPlugin(new AvatarFileLoaderPlugin(options));
  RegisterSceneLoaderPlugin(new ModelPackLoaderPlugin());
}
