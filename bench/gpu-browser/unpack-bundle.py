#!/usr/bin/env python3
"""Joins pack-bundle.sh's chunks and unpacks Chromium and the sample scene (Python only: the GPU
machine may lack xz). Usage: unpack-bundle.py <chunk files...> --to DIR. Chromium lands in
DIR/chrome, the sample scene in DIR/sample-scene/dist."""
import argparse
import io
import lzma
import os
import shutil
import tarfile

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument('chunks', nargs='+')
parser.add_argument('--to', required=True)
args = parser.parse_args()

joined = io.BytesIO()
for chunk in sorted(args.chunks):
    with open(chunk, 'rb') as f:
        shutil.copyfileobj(f, joined)
joined.seek(0)
os.makedirs(args.to, exist_ok=True)
with tarfile.open(fileobj=joined) as bundle:
    parts = {member.name: bundle.extractfile(member).read() for member in bundle.getmembers()}
for name in ('chrome-files.tar.xz', 'dist.tar.xz'):
    if name not in parts:
        continue
    with tarfile.open(fileobj=io.BytesIO(parts[name]), mode='r:xz') as part:
        part.extractall(args.to, filter='tar')
chromium = os.path.join(args.to, 'chrome', 'chromium')
with open(chromium, 'wb') as f:
    f.write(lzma.decompress(parts['chromium.xz']))
os.chmod(chromium, 0o755)
print(f'unpacked {len(args.chunks)} chunks into {args.to}')
