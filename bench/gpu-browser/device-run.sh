#!/usr/bin/env bash
# On the lent GPU machine: unpacks pack-bundle.sh's chunks, points Chromium at the NVIDIA driver,
# finds a set of flags with which Chromium renders on the GPU (its GPU process can refuse a driver),
# and runs the first-avatar bench with it.
# Usage: device-run.sh <folder with bundle.tar.* chunks> <photo> <folder for results and logs>
# DIST_DIR: the built sample scene, when the bundle was packed without it.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$3
[ -x /tmp/first-avatar/chrome/chromium ] || python3 "$here/unpack-bundle.py" "$1"/bundle.tar.* --to /tmp/first-avatar || exit 1
nvidia=/usr/local/nvidia
export VK_DRIVER_FILES=$nvidia/share/vulkan/icd.d/nvidia_icd.json
export __EGL_VENDOR_LIBRARY_FILENAMES=$nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
export LD_LIBRARY_PATH=/tmp/first-avatar/chrome/lib:$nvidia/lib64:$nvidia/lib:${LD_LIBRARY_PATH:-}
# Skia aborts the browser when fontconfig finds no font: use the one in the bundle.
printf '<?xml version="1.0"?><fontconfig><dir>%s</dir><cachedir>/tmp/fontconfig-cache</cachedir></fontconfig>' \
  /tmp/first-avatar/chrome/fonts > /tmp/first-avatar/fonts.conf
export FONTCONFIG_FILE=/tmp/first-avatar/fonts.conf
nvidia-smi -L || true
serve() { python3 "$here/serve.py" --chromium /tmp/first-avatar/chrome/chromium --dist "${DIST_DIR:-/tmp/first-avatar/sample-scene/dist}" --photo "$2" "${@:3}"; }

# Mode and extra flags per candidate, most GPU first.
candidates=(
  "gpu|"
  "bare|--enable-unsafe-webgpu --ignore-gpu-blocklist --use-angle=swiftshader --disable-gpu-compositing"
  "bare|--enable-unsafe-webgpu --ignore-gpu-blocklist --use-gl=angle --use-angle=gl-egl --disable-gpu-compositing"
)
chosen=""
probes=$(mktemp -d)
for i in "${!candidates[@]}"; do
  mode=${candidates[$i]%%|*}; extra=${candidates[$i]#*|}
  serve "$1" "$2" --mode "$mode" --extra "$extra" --plan none --timeout 40 --out "$probes/probe$i.json" --log "$probes/probe$i.log" >/dev/null 2>&1
  gpu=$(python3 -c "import json,sys; g=json.load(open(sys.argv[1]))['gpu']; print(json.dumps(g))" "$probes/probe$i.json" 2>/dev/null || echo none)
  echo "candidate $i ($mode $extra): $gpu"
  grep -a -E 'GPU process exited|FATAL|Vulkan|vulkan' "$probes/probe$i.log" | cut -c1-200 | head -3
  if [ -z "$chosen" ] && echo "$gpu" | grep -qi nvidia; then chosen=$i; fi
done
tar -C "$probes" -czf "$out/probes.tar.gz" .
[ -n "$chosen" ] || { echo "no candidate reached the NVIDIA GPU"; exit 1; }
mode=${candidates[$chosen]%%|*}; extra=${candidates[$chosen]#*|}
echo "running the bench with candidate $chosen"
serve "$1" "$2" --mode "$mode" --extra "$extra" --out "$out/first-avatar.json" --log "$out/chromium.log" --timeout "${TIMEOUT_S:-300}"
