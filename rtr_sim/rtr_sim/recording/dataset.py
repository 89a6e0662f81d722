"""Record many episodes: resumable, in parallel worker processes, with a progress bar."""

from __future__ import annotations

import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from tqdm import tqdm

from rtr_core.bag import BagError, BagReader

from ..tasks import make_task
from .episode import EPISODE_KEY, RecordConfig, episode_name, record_episode


def read_episode_metadata(path: str | Path) -> dict:
    """The ``rtr.episode`` metadata of a recorded bag (raises naming the bag if absent)."""
    with BagReader(path) as bag:
        raw = bag.custom_data.get(EPISODE_KEY)
    if raw is None:
        raise BagError(f'{path}: no {EPISODE_KEY} in metadata.yaml custom_data; '
                       'not an rtr sim recording')
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise BagError(f'{path}: custom_data {EPISODE_KEY} is not JSON: {exc}') from exc


def record_dataset(out_dir: str | Path, episodes: int, config: RecordConfig | None = None,
                   workers: int = 2, progress: bool = True) -> list[dict]:
    """Record episodes ``0 .. episodes-1`` into ``out_dir``; skip those already there.

    A crash leaves only complete bags (each is written then renamed), so running the
    same command again resumes. Returns every episode's metadata, in index order.
    """
    config = config or RecordConfig()
    make_task(config.task, config.task_config)  # a bad task or shape fails before any file
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    done = {i: read_episode_metadata(out / episode_name(config.task, i))
            for i in range(episodes) if (out / episode_name(config.task, i)).exists()}
    todo = [i for i in range(episodes) if i not in done]
    bar = tqdm(total=episodes, initial=len(done), desc=f'record {config.task}', unit='ep',
               disable=not progress)
    with bar:
        if workers <= 1 or len(todo) <= 1:
            for i in todo:
                done[i] = record_episode(out, i, config)
                bar.update()
        else:
            ctx = multiprocessing.get_context('spawn')  # no forked GL or MuJoCo state
            with ProcessPoolExecutor(min(workers, len(todo)), mp_context=ctx) as pool:
                futures = {pool.submit(record_episode, out, i, config): i for i in todo}
                for fut in as_completed(futures):
                    done[futures[fut]] = fut.result()
                    bar.update()
    return [done[i] for i in range(episodes)]
