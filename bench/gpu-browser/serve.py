#!/usr/bin/env python3
"""Serves the built sample scene and first-avatar.html, runs Chromium on the page, prints its result.

For machines with Python but no Node (the lent GPU machine); see bench/gpu-browser/README.md.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# Real GPU: WebGPU (Dawn) and ANGLE on Vulkan. Seen on an NVIDIA H200 without a display: Vulkan
# compositing crashes the GPU process and mixing it with a software compositor aborts the browser,
# so compositing is left to software and Vulkan is kept off the (absent) surface.
GPU_FLAGS = ['--enable-unsafe-webgpu', '--ignore-gpu-blocklist', '--use-angle=vulkan', '--enable-features=Vulkan',
             '--disable-vulkan-surface', '--disable-gpu-compositing']
SWIFTSHADER_FLAGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader',
                     '--use-angle=swiftshader']
COMMON_FLAGS = ['--headless', '--no-sandbox', '--no-first-run', '--disable-dev-shm-usage', '--disable-quic',
                '--disable-background-networking', '--disable-component-update', '--disable-sync',
                '--window-size=1200,800', '--disable-crash-reporter', '--disable-breakpad']


def make_handler(roots, result_box):
    prefixes = sorted(roots, key=len, reverse=True)

    class Handler(SimpleHTTPRequestHandler):
        def end_headers(self):
            # onnxruntime-web's threads need a cross-origin isolated page.
            self.send_header('Cross-Origin-Opener-Policy', 'same-origin')
            self.send_header('Cross-Origin-Embedder-Policy', 'require-corp')
            self.send_header('Cross-Origin-Resource-Policy', 'same-origin')
            self.send_header('Cache-Control', 'no-store')
            # Lets first-avatar.html run the JS self-profiler in the scene (names the code of each long task).
            self.send_header('Document-Policy', 'js-profiling')
            super().end_headers()

        def translate_path(self, path):
            path = path.split('?', 1)[0]
            prefix = next((p for p in prefixes if path.startswith(p)), None)
            if prefix is None:
                return '/nonexistent'
            folder = os.path.realpath(roots[prefix])
            target = os.path.realpath(os.path.join(folder, path[len(prefix):] or 'index.html'))
            return target if target.startswith(folder + os.sep) else '/nonexistent'

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
            self.send_response(200)
            self.end_headers()
            if self.path == '/progress':
                print(f'[{time.strftime("%H:%M:%S")}] {body.decode()}', flush=True)
            else:
                result_box.append(json.loads(body))

        def log_message(self, *args):
            pass

    Handler.extensions_map = {**SimpleHTTPRequestHandler.extensions_map, '.mjs': 'text/javascript',
                              '.js': 'text/javascript', '.wasm': 'application/wasm'}
    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--chromium', required=True)
    parser.add_argument('--photo', required=True, help='a face photo (JPEG or PNG)')
    parser.add_argument('--mode', choices=['gpu', 'swiftshader', 'bare'], default='gpu')
    parser.add_argument('--extra', default='', help='more Chromium flags, space-separated')
    parser.add_argument('--dist', default=os.path.join(ROOT, 'sample-scene', 'dist'), help='the built sample scene')
    parser.add_argument('--out', help='write the result JSON here too')
    parser.add_argument('--log', help="write Chromium's stderr here")
    parser.add_argument('--timeout', type=float, default=480)
    parser.add_argument('--plan', help="first-avatar.html's plan, e.g. 'webgl2:wasm'")
    args = parser.parse_args()

    result_box = []
    photo_dir, photo_name = os.path.split(os.path.abspath(args.photo))
    roots = {'/bench/': HERE, '/photos/': photo_dir, '/': args.dist}
    server = ThreadingHTTPServer(('127.0.0.1', 0), make_handler(roots, result_box))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f'http://127.0.0.1:{server.server_port}/bench/first-avatar.html?photo=/photos/{photo_name}'
    if args.plan:
        url += f'&plan={args.plan}'

    flags = COMMON_FLAGS + {'gpu': GPU_FLAGS, 'swiftshader': SWIFTSHADER_FLAGS, 'bare': []}[args.mode] + args.extra.split()
    profile = tempfile.mkdtemp(prefix='first-avatar-')
    stderr = open(args.log, 'w') if args.log else subprocess.DEVNULL
    browser = subprocess.Popen([args.chromium, *flags, f'--user-data-dir={profile}', url], stdout=stderr, stderr=stderr)
    deadline = time.time() + args.timeout
    while not result_box and time.time() < deadline and browser.poll() is None:
        time.sleep(0.2)
    browser.terminate()
    server.shutdown()
    if not result_box:
        sys.exit(f'no result from the page (chromium exit {browser.poll()}, timeout {args.timeout} s)')
    result = result_box[0]
    text = json.dumps(result, indent=2)
    if args.out:
        with open(args.out, 'w') as f:
            f.write(text)
    print(text)
    sys.exit(1 if 'error' in result else 0)


if __name__ == '__main__':
    main()
