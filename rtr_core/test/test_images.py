import numpy as np

from rtr_core.images import fit_image


def test_same_size_is_untouched():
    img = np.random.default_rng(0).integers(0, 255, (96, 96, 3), dtype=np.uint8)
    assert fit_image(img, 96, 96) is img


def test_camera_frame_is_centre_cropped_and_area_resized():
    img = np.zeros((480, 640, 3), np.uint8)
    img[:, 80:560] = 200  # the centre square is bright, the sides dark
    out = fit_image(img, 96, 96)
    assert out.shape == (96, 96, 3) and out.dtype == np.uint8
    assert np.all(out == 200), 'the crop kept exactly the centre square'
    grad = np.tile(np.linspace(0, 255, 640, dtype=np.float32)[None, :, None], (480, 1, 3))
    small = fit_image(grad.astype(np.uint8), 48, 64)
    assert np.all(np.diff(small[0, :, 0].astype(int)) >= 0), 'order of columns kept'


def test_enlarging_is_bilinear():
    img = np.array([[[0] * 3, [100] * 3]], np.uint8)
    out = fit_image(img, 1, 4)
    assert list(out[0, :, 0]) == [0, 25, 75, 100]


def test_a_whole_factor_gives_the_area_weights_result():
    """640x480 -> 96x96 (the RealSense default into our policies) takes the block-mean path;
    it equals the general area weights within float32 rounding."""
    from rtr_core.images import _resize_axis

    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (480, 640, 3), dtype=np.uint8)
    fitted = fit_image(frame, 96, 96)
    img = frame[:, 80:560].astype(np.float32)
    general = np.zeros((96, 96, 3), np.float32)
    for i in range(96):
        for j in range(96):
            general[i, j] = img[5 * i:5 * i + 5, 5 * j:5 * j + 5].mean(axis=(0, 1))
    assert np.abs(fitted.astype(int) - general.round().astype(int)).max() <= 1
    odd = rng.random((7, 4)).astype(np.float32)  # 7 -> 3: not a whole factor, weights path
    assert _resize_axis(odd, 3, 0).shape == (3, 4)
