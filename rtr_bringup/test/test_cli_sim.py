"""``rtr sim``: record a demonstration from the command line; show the arm."""

import os

from rtr_bringup.cli.main import main
from rtr_sim.arm import arm_spec
from rtr_sim.recording import read_episode_metadata

os.environ.setdefault('MUJOCO_GL', 'egl')


def test_sim_record_writes_a_bag_and_reports_success(tmp_path, capsys):
    out = tmp_path / 'demos'
    argv = ['sim', 'record', '--task', 'write', '--episodes', '1', '--out', str(out),
            '--workers', '1', '--no-images', '--shapes', 'Angle']
    assert main(argv) == 0
    assert 'expert success 1/1' in capsys.readouterr().out
    assert read_episode_metadata(out / 'write_0000')['params']['shape'] == 'Angle'


def test_sim_record_errors_are_one_line(tmp_path, capsys):
    argv = ['sim', 'record', '--task', 'wipe', '--shapes', 'Angle', '--out', str(tmp_path)]
    assert main(argv) == 2
    assert capsys.readouterr().err.strip() == 'rtr: error: --shapes applies to --task write only'
    assert main(['sim', 'record', '--task', 'paint', '--out', str(tmp_path / 'x')]) == 2
    assert "unknown task 'paint'" in capsys.readouterr().err
    assert not (tmp_path / 'x').exists()


def test_sim_arm_prints_the_spec(capsys):
    assert main(['sim', 'arm']) == 0
    out = capsys.readouterr().out
    for name, upper in zip(arm_spec().joint_names, arm_spec().upper, strict=True):
        assert name in out and f'{upper:8.4f}' in out
