#!/usr/bin/env bash
# System packages the Python set-up needs on Debian/Ubuntu: venv support and the software
# OpenGL libraries MuJoCo renders with when there is no GPU (EGL, OSMesa).
# Installs only what is missing, and only when it can (root or passwordless sudo).
set -euo pipefail

missing=()
python3 -c 'import ensurepip' 2>/dev/null || missing+=(python3-venv)
ldconfig -p 2>/dev/null | grep -q 'libEGL.so.1' || missing+=(libegl1 libegl-mesa0)
ldconfig -p 2>/dev/null | grep -q 'libOSMesa.so' || missing+=(libosmesa6)
ldconfig -p 2>/dev/null | grep -q 'libGL.so.1' || missing+=(libgl1)
optional=()
command -v colcon >/dev/null 2>&1 || optional+=(colcon)  # only for the workspace test

[ ${#missing[@]} -eq 0 ] && [ ${#optional[@]} -eq 0 ] && exit 0
command -v apt-get >/dev/null 2>&1 || {
  echo "warning: missing system packages ${missing[*]} and no apt-get; install them by hand" >&2
  exit 0
}
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if sudo -n true 2>/dev/null; then sudo="sudo -n"; else
    echo "warning: missing system packages ${missing[*]}; run: sudo apt-get install ${missing[*]}" >&2
    exit 0
  fi
fi
echo "installing system packages: ${missing[*]} ${optional[*]}"
$sudo apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if [ ${#optional[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${optional[@]}" || echo "note: could not install ${optional[*]}; their tests will skip"
fi
