"""The demo's trained artifacts: reuse those whose config key matches, else record and train.

An artifact (the VAE, each policy) is identified by a key: the hash of every config that
produces it (training data, model, training). Lookup order: the committed checkpoints
(``checkpoints/demo``, what makes the default demo fast), then this run folder's own
``artifacts/``. Anything missing or stale is trained with the same functions as ``rtr train
vae`` / ``rtr train policy`` on expert demonstrations recorded as by ``rtr sim record``.
``--retrain`` ignores both caches; ``--save-checkpoints`` copies what was used into the
checkpoints folder with a manifest (key, command, seeds).
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rtr_core.atomic import atomic_path, write_text
from rtr_core.config import to_dict
from rtr_core.errors import RtrError
from rtr_core.policy import Policy
from rtr_core.threads import torch_threads
from rtr_core.vae import ActionVAE

from .config import POLICIES, DemoConfig, policy_key, vae_key

MANIFEST = 'manifest.json'
COMMAND = 'rtr demo --retrain --save-checkpoints'


@dataclass
class Artifacts:
    vae: ActionVAE
    policies: dict[str, Policy]
    paths: dict[str, Path]
    origin: dict[str, str]  # artifact -> 'committed' | 'cached' | 'trained'
    train_seconds: dict[str, float] = field(default_factory=dict)


def task_config(config: DemoConfig):
    from rtr_sim.tasks import WriteConfig

    d = config.data
    return WriteConfig(shapes=d.shapes, offset=d.offset, rotation=d.rotation)


def record_config(config: DemoConfig, seed: int, render: bool = True):
    from rtr_sim.recording import RecordConfig
    from rtr_sim.runner import RunnerConfig

    return RecordConfig(task=config.data.task, seed=seed, runner=RunnerConfig(render=render),
                        task_config=task_config(config))


def record(config: DemoConfig, out: Path, episodes: int, seed: int, log) -> list[dict]:
    """Expert demonstrations as rosbag2 (resumes a partly recorded folder)."""
    from rtr_sim.recording import record_dataset

    t0 = time.perf_counter()
    metas = record_dataset(out, episodes, record_config(config, seed),
                           workers=config.data.workers, progress=False)
    ok = sum(m['success'] for m in metas)
    log(f'  {out}: {len(metas)} expert episodes ({ok} successful) in '
        f'{time.perf_counter() - t0:.0f} s')
    return metas


def read_manifest(folder: Path) -> dict:
    path = folder / MANIFEST
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise RtrError(f'{path}: not valid JSON ({exc}); delete it or run with --retrain') \
            from exc


def _find(name: str, key: str, folders: list[tuple[str, Path]]) -> tuple[str, Path] | None:
    for origin, folder in folders:
        entry = read_manifest(folder).get(name)
        if entry and entry.get('key') == key and (folder / entry['file']).is_file():
            return origin, folder / entry['file']
    return None


def _record_entry(folder: Path, name: str, entry: dict) -> None:
    manifest = read_manifest(folder)
    manifest[name] = entry
    write_text(folder / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True) + '\n')


def prepare(config: DemoConfig, run_dir: Path, retrain: bool = False,
            save_checkpoints: bool = False, log: Callable[[str], None] = print) -> Artifacts:
    """The VAE and the policies of :data:`POLICIES`, loaded or trained."""
    committed = Path(config.checkpoints)
    own = run_dir / 'artifacts'
    folders = [] if retrain else [('committed', committed), ('cached', own)]
    keys = {'vae': vae_key(config), **{n: policy_key(config, n) for n in POLICIES}}
    found = {n: _find(n, k, folders) for n, k in keys.items()}
    vae = _load(found, 'vae', ActionVAE.load, log)
    latent = [n for n, spec in POLICIES.items() if spec['name'] == 'latent_diffusion']
    loaded = {n: _load(found, n, lambda p: Policy.load(p, vae=vae), log) for n in POLICIES
              if vae is not None or n not in latent}
    loaded = {n: p for n, p in loaded.items() if p is not None}
    for n in POLICIES:
        if n not in loaded:
            found[n] = None
    paths, origin, seconds = {}, {}, {}
    missing = [n for n, f in found.items() if f is None]
    train_bags = run_dir / 'data' / 'train'
    if missing:
        log(f'training {", ".join(missing)} (no artifact with a matching config key)')
        record(config, train_bags, config.data.train_episodes, config.data.seed, log)
        own.mkdir(parents=True, exist_ok=True)
    for name, hit in found.items():
        if hit is not None:
            origin[name], paths[name] = hit
    with torch_threads():  # training sets its own counts; the caller's comes back
        if found['vae'] is None:
            from rtr_training.dataset import find_bags
            from rtr_training.vae import train_vae_from_paths

            t0 = time.perf_counter()
            vae_cfg = dataclasses.replace(config.training.vae, dt=1.0 / 60.0)
            result = train_vae_from_paths(find_bags([train_bags]), own / 'vae.pt', vae_cfg,
                                          config.training.vae_training)
            seconds['vae'] = time.perf_counter() - t0
            if not result.report.learned:  # never train policies on a broken latent space
                raise RtrError(f'demo {config.name}: the action VAE did not learn '
                               f'{", ".join(result.report.unlearned)} in '
                               f'{config.training.vae_training.steps} steps (its checkpoint: '
                               f'{result.checkpoint}, report {result.report_path}); raise '
                               f'training.vae_training.steps')
            paths['vae'], origin['vae'] = own / 'vae.pt', 'trained'
            _record_entry(own, 'vae', _entry(config, 'vae', keys['vae'], result.vae.hash,
                                             seconds['vae']))
            log(f'  vae: {config.training.vae_training.steps} steps in {seconds["vae"]:.0f} s, '
                f'hash {result.vae.hash}')
            vae = ActionVAE.load(paths['vae'])
        todo = [n for n in POLICIES if n not in loaded or (n in latent and 'vae' in seconds)]
        if todo:
            def done(name: str, version: str, took: float) -> None:
                seconds[name] = took
                paths[name], origin[name] = own / f'{name}.pt', 'trained'
                _record_entry(own, name, _entry(config, name, keys[name], version, took))

            _train_policies(config, todo, train_bags, paths['vae'], own, run_dir, done, log)
        policies = {n: loaded[n] if n not in todo else Policy.load(paths[n], vae=vae)
                    for n in POLICIES}
    if save_checkpoints:
        _save(committed, paths, own)
        log(f'saved the artifacts and {MANIFEST} to {committed}')
    return Artifacts(vae, policies, paths, origin, seconds)


def _train_one(bags: Path, out: Path, config, vae_path: Path, cache: Path) -> tuple[str, float]:
    """One policy (in a worker process): what ``rtr train policy`` runs."""
    from rtr_training.policy import train_policy

    t0 = time.perf_counter()
    policy = train_policy([bags], out, config, vae_path=vae_path, cache_dir=cache,
                          progress=False, log=lambda m: print(f'  {m}', flush=True))
    return policy.version, time.perf_counter() - t0


def _load(found: dict, name: str, load, log):
    """A found artifact, or None (and ``found[name]`` cleared) when it no longer loads, e.g.
    written by an older model version: it is then trained again."""
    if found.get(name) is None:
        return None
    try:
        return load(found[name][1])
    except RtrError as exc:
        log(f'  {name}: {found[name][1]} does not load with this code ({exc}); retraining')
        found[name] = None
        return None


def _train_policies(config: DemoConfig, names: list[str], bags: Path, vae_path: Path,
                    own: Path, run_dir: Path, done, log) -> None:
    """Train ``names`` in up to ``training.processes`` processes (one torch thread each); calls
    ``done(name, version, seconds)`` as each one finishes."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    from rtr_core.policy import ObservationContract
    from rtr_training.dataset import PolicyDataset

    cache = run_dir / 'data' / 'cache'
    PolicyDataset.from_bags([bags], ObservationContract(), 2, cache)  # decode each bag once
    jobs = {n: (bags, own / f'{n}.pt', config.training.policy_config(n), vae_path, cache)
            for n in names}
    workers = min(config.training.processes, len(names))
    log(f'  training {", ".join(names)} ({workers} worker processes)')
    if workers <= 1:
        for n, job in jobs.items():
            done(n, *_train_one(*job))
        return
    ctx = multiprocessing.get_context('spawn')
    with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
        futures = {pool.submit(_train_one, *job): n for n, job in jobs.items()}
        for future in as_completed(futures):
            done(futures[future], *future.result())


def _entry(config: DemoConfig, name: str, key: str, content_hash: str, seconds: float) -> dict:
    seeds = {'data_seed': config.data.seed, 'episodes': config.data.train_episodes}
    if name == 'vae':
        training = to_dict(config.training.vae_training)
    else:
        training = to_dict(config.training.policy_config(name))
    return {'file': f'{name}.pt', 'key': key, 'content_hash': content_hash,
            'command': COMMAND, 'training': training, 'seeds': seeds,
            'train_seconds': round(seconds, 1),
            'trained_at': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}


def _save(folder: Path, paths: dict[str, Path], own: Path) -> None:
    """Copy the artifacts used into the committed folder, the policies with float16 weights
    (half the size; they load back into float32) and their content hash re-measured."""
    from rtr_core.policy.checkpoint import POLICY_CHECKPOINT

    folder.mkdir(parents=True, exist_ok=True)
    source = read_manifest(own)
    vae = None  # the committed VAE, loaded once for the policies' content hashes
    for name in sorted(paths, key=lambda n: n != 'vae'):  # the VAE first: policies load it
        path = paths[name]
        if path.parent.resolve() == folder.resolve():
            continue
        if name not in source:
            raise RtrError(f'{own / MANIFEST}: no entry for {name}; nothing to save')
        entry = dict(source[name])
        target = folder / f'{name}.pt'
        if name == 'vae':
            with atomic_path(target) as tmp:
                shutil.copyfile(path, tmp)
        else:
            POLICY_CHECKPOINT.copy(path, target, half=True)
            if vae is None:
                vae = ActionVAE.load(folder / 'vae.pt')
            entry['content_hash'] = Policy.load(target, vae=vae).version
            entry['weights'] = 'float16'
        _record_entry(folder, name, entry)
