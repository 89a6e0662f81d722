#!/usr/bin/env bash
# The set-up and the ROS-free suites (rtr_core, rtr_sim, rtr_training; the slow tests left out)
# on another Python, in a venv of its own beside the default .venv: how Python 3.10 (ROS 2
# Humble's) and 3.12 (Jazzy's) are checked (README, "Set-up"). Prints the set-up time and the
# venv's size, then pytest's counts.
#
#   bash scripts/check-python.sh PYTHON [NUMPY_VERSION]     (or: make check-python PYTHON=...)
#
# NUMPY_VERSION installs that numpy over the pinned one, e.g. 1.26.4 (Ubuntu 24.04's, what
# Jazzy's apt packages use): venv .venv-py312-numpy1.26.4 instead of .venv-py312.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${1:?usage: bash scripts/check-python.sh PYTHON [NUMPY_VERSION]}
NUMPY=${2:-}
ver=$("$PY" -c 'import sys; print("%d%d" % sys.version_info[:2])')
venv=.venv-py$ver${NUMPY:+-numpy$NUMPY}
start=$(date +%s)
make setup VENV="$venv" PYTHON="$PY"
# pandas 3 and pyarrow 26 (the LeRobot datasets) refuse numpy < 2: with numpy 1.x, pandas 2.3.3
# and pyarrow 25.0.1 (constraints.txt's pins for Python 3.10; checked with numpy 1.26.4)
case $NUMPY in
  "") ;;
  1.*) "$venv/bin/python" -m pip install --quiet "numpy==$NUMPY" pandas==2.3.3 pyarrow==25.0.1 ;;
  *) "$venv/bin/python" -m pip install --quiet "numpy==$NUMPY" ;;
esac
echo "set-up: $(( $(date +%s) - start )) s; $(du -sh "$venv" | cut -f1) in $venv;" \
     "$("$venv/bin/python" -c 'import sys, numpy, torch; print("Python", sys.version.split()[0], "numpy", numpy.__version__, "torch", torch.__version__)')"
MUJOCO_GL=${MUJOCO_GL:-egl} "$venv/bin/python" -m pytest -p no:cacheprovider -q -m 'not slow' \
  rtr_core/test rtr_sim/test rtr_training/test
