"""The rtr command: help lists subcommands; errors are one clear line, not a traceback."""

import subprocess
import sys

import numpy as np

from rtr_bringup.cli.main import COMMANDS, main
from rtr_core.bag import BagWriter
from rtr_core.msgs import joint_state_to_msg


def test_help_lists_every_subcommand():
    out = subprocess.run([sys.executable, '-m', 'rtr_bringup.cli.main', '--help'],
                         capture_output=True, text=True, check=True).stdout
    for name in COMMANDS:
        assert name in out


def test_bag_info(tmp_path, capsys):
    path = tmp_path / 'bag'
    with BagWriter(path) as bag:
        for k in range(3):
            bag.write('/joint_states', joint_state_to_msg(k, ['a'], np.zeros(1), bag.types), k)
    assert main(['bag', 'info', str(path)]) == 0
    out = capsys.readouterr().out
    assert '/joint_states' in out and 'sensor_msgs/msg/JointState' in out and ' 3' in out


def test_bad_bag_is_one_clear_line(tmp_path, capsys):
    assert main(['bag', 'info', str(tmp_path / 'missing')]) == 2
    err = capsys.readouterr().err
    assert err.startswith('rtr: error: ') and 'no such rosbag2 folder' in err
