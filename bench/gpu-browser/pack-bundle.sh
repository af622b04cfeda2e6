#!/usr/bin/env bash
# Packs what first-avatar.html needs on a machine with Python but no Node or Chromium (the lent GPU
# machine): Debian's Chromium, the shared libraries it links (glibc, libstdc++ and libgcc excepted:
# the target has its own), the GL dispatch libraries the NVIDIA driver loads, a font (Skia aborts
# without one), and the built sample scene. The three parts are xz-compressed, put in one tar and split into chunks of CHUNK_MB
# (default 58) under .device-bundle/chunks/, since one device call carries at most 64 MiB.
# WITH_DIST=0 packs Chromium alone.
# Run after `npm run build:sample`, on Debian with `apt-get install chromium`. Unpack with
# unpack-bundle.py.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=.device-bundle
chunk_mb=${CHUNK_MB:-58}
chromium_dir=/usr/lib/chromium
rm -rf "$out/stage" "$out/chunks" "$out/parts/chrome-files.tar.xz" "$out/parts/dist.tar.xz"
mkdir -p "$out/stage/chrome/lib" "$out/stage/chrome/locales" "$out/stage/chrome/fonts" "$out/parts" "$out/chunks"

cp -a "$chromium_dir"/{chrome_crashpad_handler,icudtl.dat,resources.pak,chrome_100_percent.pak,snapshot_blob.bin,v8_context_snapshot.bin,libvulkan.so.1,libEGL.so,libGLESv2.so} "$out/stage/chrome/"
cp -a "$chromium_dir/locales/en-US.pak" "$out/stage/chrome/locales/"
cp -a /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf "$out/stage/chrome/fonts/"
ldd "$chromium_dir/chromium" | awk '$3 ~ /^\// {print $3}' \
  | grep -v -E '/(libc|libm|libpthread|libresolv|libdl|librt|ld-linux-x86-64|libstdc\+\+|libgcc_s)\.so' \
  | while read -r lib; do cp -L "$lib" "$out/stage/chrome/lib/"; done
for lib in libGLdispatch.so.0 libGLX.so.0 libEGL.so.1 libOpenGL.so.0; do cp -L "/usr/lib/x86_64-linux-gnu/$lib" "$out/stage/chrome/lib/"; done

# xz -9 of the 300 MB binary takes minutes: kept from the last run while the binary is unchanged.
[ "$out/parts/chromium.xz" -nt "$chromium_dir/chromium" ] || xz -T0 -9 -c "$chromium_dir/chromium" > "$out/parts/chromium.xz"
tar -C "$out/stage" -cJf "$out/parts/chrome-files.tar.xz" chrome
parts=(chromium.xz chrome-files.tar.xz)
# WITH_DIST=0 leaves the sample scene out, to carry sample-scene/dist as it is in the last call.
if [ "${WITH_DIST:-1}" = 1 ]; then tar -cJf "$out/parts/dist.tar.xz" sample-scene/dist; parts+=(dist.tar.xz); fi
tar -C "$out/parts" -cf - "${parts[@]}" | split -b "${chunk_mb}m" - "$out/chunks/bundle.tar."
ls -l "$out/chunks"
