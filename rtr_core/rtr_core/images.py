"""Camera frames to the size a policy was trained on (no OpenCV needed)."""

from __future__ import annotations

import numpy as np


def fit_image(rgb: np.ndarray, height: int, width: int) -> np.ndarray:
    """Centre-crop ``rgb`` (H, W, 3) uint8 to the aspect ratio of (height, width), then resize
    with area averaging (bilinear when enlarging). A frame already of that size is returned
    as it is, so the simulator's 96x96 frames pass untouched."""
    img = np.asarray(rgb)
    h, w = img.shape[:2]
    if (h, w) == (height, width):
        return img
    target = width / height
    if w / h > target:  # too wide: crop the sides
        cw = max(1, int(round(h * target)))
        x0 = (w - cw) // 2
        img = img[:, x0:x0 + cw]
    else:  # too tall: crop top and bottom
        ch = max(1, int(round(w / target)))
        y0 = (h - ch) // 2
        img = img[y0:y0 + ch]
    return _resize(img.astype(np.float32), height, width).round().clip(0, 255).astype(np.uint8)


def _resize(img: np.ndarray, height: int, width: int) -> np.ndarray:
    return _resize_axis(_resize_axis(img, height, 0), width, 1)


def _resize_axis(img: np.ndarray, n: int, axis: int) -> np.ndarray:
    m = img.shape[axis]
    if m == n:
        return img
    if m % n == 0:  # a whole factor (640x480 -> 480x480 -> 96x96): the mean of each block
        moved = np.moveaxis(img, axis, 0)
        blocks = moved.reshape(n, m // n, *moved.shape[1:]).mean(axis=1, dtype=np.float32)
        return np.moveaxis(blocks, 0, axis)
    if m > n:  # area: average the source pixels each output pixel covers
        edges = np.linspace(0, m, n + 1)
        weights = np.zeros((n, m), dtype=np.float32)
        for i in range(n):
            lo, hi = edges[i], edges[i + 1]
            for j in range(int(np.floor(lo)), int(np.ceil(hi))):
                weights[i, j] = min(hi, j + 1) - max(lo, j)
        weights /= weights.sum(axis=1, keepdims=True)
    else:  # bilinear
        pos = (np.arange(n) + 0.5) * m / n - 0.5
        lo = np.clip(np.floor(pos).astype(int), 0, m - 1)
        hi = np.clip(lo + 1, 0, m - 1)
        frac = np.clip(pos - lo, 0, 1).astype(np.float32)
        weights = np.zeros((n, m), dtype=np.float32)
        weights[np.arange(n), lo] += 1 - frac
        weights[np.arange(n), hi] += frac
    return np.moveaxis(np.tensordot(weights, np.moveaxis(img, axis, 0), axes=1), 0, axis)
