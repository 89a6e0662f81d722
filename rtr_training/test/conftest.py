import sys
import types

import pytest

from rtr_core.vae import VAEConfig
from rtr_training.data.lasa import lasa_trajectories
from rtr_training.vae import VAETrainingConfig, train_vae

#: A short real-data run shared by the tests: 8 LASA shapes, demos 0-4 to train, 5-6 to
#: validate; the benchmark trains longer and tests on shapes never seen.
SHAPES = ('Angle', 'BendedLine', 'CShape', 'JShape', 'Khamesh', 'NShape', 'Spoon', 'Worm')
STEPS = 800


@pytest.fixture(scope='session')
def lasa_run(tmp_path_factory):
    train = lasa_trajectories(SHAPES, demos=range(5))
    val = lasa_trajectories(SHAPES, demos=(5, 6))
    # a higher learning rate and small batches: most of the precision in about 10 s
    config = VAETrainingConfig(steps=STEPS, batch_size=64, lr=3e-3, warmup_steps=50,
                               eval_every=STEPS // 2, progress=False)
    out = tmp_path_factory.mktemp('vae') / 'vae.pt'
    return train_vae(train, val, out, VAEConfig(), config)


@pytest.fixture(scope='session')
def lerobot_dataset():
    """lerobot.datasets.lerobot_dataset (lerobot 0.4.4, installed with --no-deps by make setup).

    lerobot imports torchvision at module level for video decoding and image transforms,
    which writing a dataset never calls; the project never installs torchvision, so a
    stand-in module is registered when it is absent.
    """
    pytest.importorskip('datasets', reason='datasets not installed (make setup installs it)')
    # imported before the stand-in below, so that they see no torchvision either (diffusers,
    # under rtr_core.policy, asks importlib.util.find_spec, which fails on a stand-in)
    import rtr_core.policy  # noqa: F401
    if 'torchvision' not in sys.modules:
        try:
            import torchvision  # noqa: F401
        except ImportError:
            stand_in = types.ModuleType('torchvision')
            stand_in.transforms = types.ModuleType('torchvision.transforms')
            sys.modules['torchvision'] = stand_in
            sys.modules['torchvision.transforms'] = stand_in.transforms
    return pytest.importorskip('lerobot.datasets.lerobot_dataset',
                               reason='lerobot 0.4.4 not installed (make setup installs it)')
