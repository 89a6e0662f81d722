#!/usr/bin/env bash
# System packages the set-up needs on Debian/Ubuntu: venv support, the software OpenGL
# libraries MuJoCo renders with when there is no GPU (EGL, OSMesa), and the tool chain that
# builds rtr_msgs through rosidl (cmake, a C/C++ compiler, make, Python's headers).
# colcon is not a system package here: PyPI's colcon-common-extensions goes into the venv
# (requirements-ros.txt); Debian's `colcon` is colcon-core only (no `list`, no ament packages).
# Installs only what is missing, and only when it can (root or passwordless sudo).
#   bash scripts/system-deps.sh [PYTHON]     (the interpreter the venv is made from)
set -euo pipefail
PY=${1:-python3}

missing=()
"$PY" -c 'import ensurepip' 2>/dev/null || missing+=(python3-venv)
ldconfig -p 2>/dev/null | grep -q 'libEGL.so.1' || missing+=(libegl1 libegl-mesa0)
ldconfig -p 2>/dev/null | grep -q 'libOSMesa.so' || missing+=(libosmesa6)
ldconfig -p 2>/dev/null | grep -q 'libGL.so.1' || missing+=(libgl1)
command -v cmake >/dev/null 2>&1 || missing+=(cmake)
command -v c++ >/dev/null 2>&1 || missing+=(g++)
command -v make >/dev/null 2>&1 || missing+=(make)
"$PY" -c 'import os, sys, sysconfig
sys.exit(not os.path.isfile(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' \
  2>/dev/null || missing+=("$("$PY" -c 'import sys; print("python%d.%d-dev" % sys.version_info[:2])' \
                              2>/dev/null || echo python3-dev)")

[ ${#missing[@]} -eq 0 ] && exit 0
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
echo "installing system packages: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
