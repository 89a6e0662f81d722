"""MuJoCo arm, tasks, scripted experts, JTC-like controller, closed-loop runner."""
