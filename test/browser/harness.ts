/**
 * Browser-test plumbing: a loopback static server with the headers onnxruntime-web needs, and
 * Debian's headless Chromium with SwiftShader WebGPU (docs: TOOLCHAIN.md), sealed off from the network.
 */
import { createServer, type Server } from 'node:http';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { requireSharedData } from '../helpers/shared-data.js';
import type { FaceObservation } from '../../src/types.js';
import type { PortableFaceObservation } from '../../sample-scene/diagnostics.js';

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM_PATH);

/** The only flag set with which WebGPU canvases, readback and WebGL2 all work on SwiftShader. */
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
  '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-angle=swiftshader',
];

/**
 * For tests on the built sample scene: skips without Chromium or the shared photo, and fails when
 * `distDir` (sample-scene/dist) is not built.
 */
export function requireChromiumAndSample(context: Mocha.Context, distDir: string, ...photo: string[]): void {
  if (!hasChromium) {
    console.log(`    skipped: ${CHROMIUM_PATH} is missing (apt-get install chromium)`);
    context.skip();
  }
  requireSharedData(context, ...photo);
  if (!existsSync(path.join(distDir, 'index.html'))) throw new Error(`${distDir} is not built: run \`npm run build:sample\``);
}

/** A face observation for page.evaluate, whose serialisation drops typed arrays but keeps plain ones. */
export function portableFace(face: FaceObservation): PortableFaceObservation {
  return { ...face, box: { ...face.box }, landmarks468: Array.from(face.landmarks468), iris: Array.from(face.iris), landmarks68: Array.from(face.landmarks68) };
}

/**
 * Mocha hooks for a test of the built sample scene in one sealed Chromium: skips as
 * requireChromiumAndSample says, serves `distDir`, and closes both after the suite. The returned
 * holder's server and browser are set once the hooks have run.
 */
export function sealedSampleScene(distDir: string, ...photo: string[]): { server: StaticServer; browser: SealedBrowser } {
  const scene = {} as { server: StaticServer; browser: SealedBrowser };
  before(function () {
    requireChromiumAndSample(this, distDir, ...photo);
  });
  before(async () => {
    scene.server = await serveStatic({ '/': distDir });
    scene.browser = await launchSealedChromium();
  });
  after(async () => {
    await scene.browser?.close();
    await scene.server?.close();
  });
  return scene;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.map': 'application/json',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
};

export interface StaticServer {
  origin: string;
  close(): Promise<void>;
}

/**
 * Serves `roots` (URL prefix -> folder) on 127.0.0.1 at a random port, cross-origin isolated
 * unless `crossOriginIsolated: false`. Paths escaping a root are refused.
 */
export async function serveStatic(roots: Record<string, string>, options: { crossOriginIsolated?: boolean } = {}): Promise<StaticServer> {
  const isolated = options.crossOriginIsolated ?? true;
  const prefixes = Object.keys(roots).sort((a, b) => b.length - a.length);
  const server: Server = createServer(async (request, response) => {
    const urlPath = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
    const prefix = prefixes.find((candidate) => urlPath.startsWith(candidate));
    const folder = prefix === undefined ? undefined : roots[prefix];
    const relative = prefix === undefined ? '' : urlPath.slice(prefix.length) || 'index.html';
    const file = folder ? path.resolve(folder, relative.endsWith('/') ? `${relative}index.html` : relative) : '';
    const headers: Record<string, string> = isolated
      ? {
        'Cross-Origin-Opener-Policy': 'same-origin',
        'Cross-Origin-Embedder-Policy': 'require-corp',
        'Cross-Origin-Resource-Policy': 'same-origin',
        'Cache-Control': 'no-store',
      }
      : { 'Cache-Control': 'no-store' };
    if (!folder || !file.startsWith(path.resolve(folder) + path.sep)) {
      response.writeHead(404, headers).end();
      return;
    }
    try {
      const body = await readFile(file);
      response.writeHead(200, { ...headers, 'Content-Type': CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream' });
      response.end(body);
    } catch {
      response.writeHead(404, headers).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export interface SealedBrowser {
  context: BrowserContext;
  /** Requests to anything but loopback, all aborted. */
  blockedRequests: string[];
  /** console.error messages and uncaught page errors, tagged with the page URL. */
  consoleErrors: string[];
  close(): Promise<void>;
}

function isLoopback(url: string): boolean {
  try {
    const { protocol, hostname } = new URL(url);
    if (protocol === 'data:' || protocol === 'blob:' || protocol === 'about:') return true;
    return hostname === '127.0.0.1' || hostname === 'localhost' || hostname === '[::1]';
  } catch {
    return false;
  }
}

/**
 * Launches Chromium in a fresh profile; every non-loopback request is aborted and recorded.
 * `extraArgs` are added to CHROMIUM_ARGS (e.g. a fake camera).
 */
export async function launchSealedChromium(extraArgs: readonly string[] = []): Promise<SealedBrowser> {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'photo-avatar-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
    viewport: { width: 1100, height: 700 },
    deviceScaleFactor: 1,
  });
  const blockedRequests: string[] = [];
  const consoleErrors: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (isLoopback(url)) return route.continue();
    blockedRequests.push(url);
    return route.abort('blockedbyclient');
  });
  const watch = (page: import('playwright-core').Page) => {
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(`${page.url()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => consoleErrors.push(`${page.url()}: uncaught ${error.message}`));
  };
  context.pages().forEach(watch);
  context.on('page', watch);
  return {
    context,
    blockedRequests,
    consoleErrors,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
