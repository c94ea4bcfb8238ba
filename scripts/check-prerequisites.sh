#!/usr/bin/env bash
# The test suite's system prerequisites, checked before `npm test` runs (package.json's "pretest"):
#   - ffmpeg and ffprobe (or the builds that PROMOTION_FFMPEG / PROMOTION_FFPROBE name);
#   - Debian's redis-server, which the queued-synthesis tests start on a loopback port (they fail without it);
#   - Debian's /usr/bin/python3 with the training package's modules (torch, torchvision, onnx, yaml, PIL) and
#     scikit-image, the reference for the PSNR/SSIM tests.
# Run as root with apt-get available (a fresh container, CI), it installs what is missing and says so. Otherwise
# it stops at once, printing the one command that installs the missing packages; it never calls sudo.
# PROMOTION_PREREQ_PYTHON replaces /usr/bin/python3 (for this script's own tests).
set -euo pipefail

python="${PROMOTION_PREREQ_PYTHON:-/usr/bin/python3}"

# Prints the Debian packages that are missing, one line, space-separated (nothing when all are there).
missing_packages() {
  local packages=()
  command -v "${PROMOTION_FFMPEG:-ffmpeg}" >/dev/null 2>&1 || packages+=(ffmpeg)
  if ! command -v "${PROMOTION_FFPROBE:-ffprobe}" >/dev/null 2>&1 && [[ " ${packages[*]-} " != *" ffmpeg "* ]]; then
    packages+=(ffmpeg)
  fi
  command -v redis-server >/dev/null 2>&1 || packages+=(redis-server)
  if [ -x "$python" ]; then
    # Each module that does not import names its Debian package.
    local python_missing
    python_missing="$("$python" - <<'PY' 2>/dev/null || echo python3
import importlib
for module, package in [('torch', 'python3-torch'), ('torchvision', 'python3-torchvision'), ('onnx', 'python3-onnx'),
                        ('yaml', 'python3-yaml'), ('PIL', 'python3-pil'), ('skimage.metrics', 'python3-skimage')]:
    try:
        importlib.import_module(module)
    except Exception:
        print(package)
PY
)"
    # shellcheck disable=SC2206
    packages+=($python_missing)
  else
    packages+=(python3 python3-torch python3-torchvision python3-onnx python3-yaml python3-pil python3-skimage)
  fi
  echo "${packages[*]-}"
}

missing="$(missing_packages)"
[ -z "$missing" ] && exit 0

uid="$(id -u)"
if [ "$uid" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing the test prerequisites that are missing: $missing (apt-get, running as root)"
  apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
  still="$(missing_packages)"
  if [ -n "$still" ]; then
    echo "Still missing after apt-get install: $still" >&2
    exit 1
  fi
  echo "Installed: $missing"
  exit 0
fi

if [ "$uid" = 0 ]; then install="apt-get install -y $missing"; else install="sudo apt-get install -y $missing"; fi
{
  echo "The tests need system packages that are missing: $missing"
  echo "Install them (Debian or Ubuntu), then run npm test again:"
  echo ""
  echo "  $install"
  echo ""
  [ "$python" = /usr/bin/python3 ] || echo "(The Python modules are checked in $python.)"
  command -v apt-get >/dev/null 2>&1 || echo "(No apt-get here: install ffmpeg, redis-server, and Python 3 with PyTorch, torchvision, onnx, PyYAML, Pillow and scikit-image at /usr/bin/python3, by this system's means.)"
} >&2
exit 1
