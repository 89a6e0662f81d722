"""MuJoCo arm, tasks, scripted experts, JTC-like controller, closed-loop runner.

Rendering is headless: ``MUJOCO_GL`` defaults to ``egl`` (``osmesa`` works too) unless the
caller chose one before MuJoCo was first imported.
"""

import os

os.environ.setdefault('MUJOCO_GL', 'egl')
