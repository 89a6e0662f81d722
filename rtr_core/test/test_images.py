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
