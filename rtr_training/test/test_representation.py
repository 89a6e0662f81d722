"""The representation comparison with a VAE trained on real LASA data, on shapes it never
saw: the VAE is precise and smoother than the demonstrations; linear 15 Hz is not."""

from rtr_core.evaluation.representation import compare_representations
from rtr_training.data.lasa import lasa_trajectories


def test_representations_on_unseen_shapes(lasa_run):
    held_out = [t.positions for t in lasa_trajectories(('Sine', 'heee'), demos=(0, 1))]
    r = {x.name: x for x in compare_representations(lasa_run.vae, held_out)}
    assert r['raw'].error_max == 0 and r['raw'].jerk_ratio == 1.0
    assert r['vae'].error_median < 0.5e-3, 'median under half a millimetre'
    assert r['vae'].jerk_ratio <= 1.0, 'decoded chunks are not rougher than the input'
    assert r['linear'].jerk_ratio > 3 * r['vae'].jerk_ratio, '15 Hz linear: a kink per knot'
    assert r['cubic'].error_mean < r['linear'].error_mean
