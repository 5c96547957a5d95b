"""Turn images into the row sequences the digits networks read.

`canvas_to_digit` prepares a drawing the way MNIST was made (LeCun et al.):
crop to the ink, scale to fit 20x20 with an antialiasing filter keeping the
aspect ratio, and paste into 28x28 centred by centre of mass.
`images_to_sequences` turns 28x28 images into model input.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

MNIST_SIZE = 28
DIGIT_BOX = 20  # MNIST digits fit a 20x20 box inside the 28x28 image
INK_THRESHOLD = 0.15  # share of full ink below which a pixel counts as background
# Stroke width of an MNIST digit relative to its 20-pixel box (about 2 px; measured by eye, an estimate).
MNIST_STROKE_FRACTION = 2.0 / DIGIT_BOX


@dataclass(frozen=True)
class DigitImage:
    """A drawing prepared for the digits models, with a note for the user when something is off."""

    pixels: np.ndarray  # (28, 28) float32 in [0, 1], ink = 1
    is_empty: bool
    message: str | None = None


def images_to_sequences(images: np.ndarray, delay: int = 0, noise: float = 0.0, seed: int = 0) -> np.ndarray:
    """(samples, 28, 28) uint8 or float images -> (samples, 28 + delay, 28) float32 rows in [0, 1].

    `delay` filler rows follow the image, for the memory task of the why-LSTM
    page. With `noise` 0 they are blank; otherwise each filler pixel is drawn
    uniformly from [0, noise] by a generator seeded with `seed`, so the same
    call always returns the same rows.
    """
    images = np.asarray(images)
    rows = images.astype(np.float32)
    if images.dtype == np.uint8:
        rows /= 255.0
    if delay:
        shape = (rows.shape[0], delay, rows.shape[2])
        if noise:
            filler = np.random.default_rng(seed).uniform(0.0, noise, size=shape).astype(np.float32)
        else:
            filler = np.zeros(shape, dtype=np.float32)
        rows = np.concatenate([rows, filler], axis=1)
    return rows


def digit_sequences(images: np.ndarray, config, seed: int = 0) -> np.ndarray:
    """`images_to_sequences` with the delay and filler noise of a digits configuration.

    The app feeds every drawing the same filler rows (seed 0); training and
    test sets draw theirs from other seeds (see `lstm_demo.train`).
    """
    return images_to_sequences(images, config.delay, config.delay_noise, seed)


def ink_from_rgba(image: np.ndarray, background: str = "auto") -> np.ndarray:
    """(H, W, 3 or 4) uint8 -> (H, W) float32 ink in [0, 1], whatever the colours.

    A canvas with a transparent background carries the ink in the alpha channel.
    An opaque one is read by luminance, inverted when the background is light:
    `background` "dark" or "light" states which, "auto" takes the border's median, so
    black-on-white is read like white-on-black. A canvas inked all over needs
    the hint, because without it an all-white image looks like empty paper.
    """
    image = np.asarray(image)
    if image.ndim == 2:
        gray = image.astype(np.float32) / 255.0
        alpha = None
    else:
        rgb = image[..., :3].astype(np.float32) / 255.0
        gray = rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
        alpha = image[..., 3].astype(np.float32) / 255.0 if image.shape[-1] == 4 else None

    if alpha is not None and alpha.min() < 0.5:
        return alpha
    if background == "dark":
        return gray
    if background == "light":
        return 1.0 - gray
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    if np.median(border) > 0.5:
        return 1.0 - gray
    return gray


def _estimated_stroke_width(mask: np.ndarray) -> float:
    """Width of the strokes in pixels: twice the area over the boundary length."""
    padded = np.pad(mask, 1)
    interior = (
        padded[1:-1, 1:-1] & padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:]
    )
    boundary = int(mask.sum() - interior.sum())
    return 2.0 * mask.sum() / max(1, boundary)


def _centre_by_mass(box: np.ndarray) -> np.ndarray:
    """Paste a digit of at most 20x20 into 28x28 with its centre of mass at the centre."""
    canvas = np.zeros((MNIST_SIZE, MNIST_SIZE), dtype=np.float32)
    height, width = box.shape
    top = (MNIST_SIZE - height) // 2
    left = (MNIST_SIZE - width) // 2
    total = box.sum()
    rows, cols = np.indices(box.shape)
    centre_row = (rows * box).sum() / total + top
    centre_col = (cols * box).sum() / total + left
    middle = (MNIST_SIZE - 1) / 2
    # Shift so the centre of mass lands on the middle, but keep the whole box inside.
    top = int(np.clip(top + round(middle - centre_row), 0, MNIST_SIZE - height))
    left = int(np.clip(left + round(middle - centre_col), 0, MNIST_SIZE - width))
    canvas[top : top + height, left : left + width] = box
    return canvas


def canvas_to_digit(image: np.ndarray | None, background: str = "auto") -> DigitImage:
    """Prepare a canvas drawing (H, W, 4) RGBA uint8 as MNIST was prepared.

    `background` is passed to `ink_from_rgba`: "dark", "light" or "auto".
    """
    empty = DigitImage(np.zeros((MNIST_SIZE, MNIST_SIZE), np.float32), True, "Draw a digit on the canvas.")
    if image is None or np.asarray(image).size == 0:
        return empty
    ink = ink_from_rgba(image, background)
    mask = ink > INK_THRESHOLD
    if background == "auto" and mask.sum() < 4:
        # NOTE: an all-white image is either empty white paper or a dark canvas inked all over, and the
        # pixels cannot tell which. It is read as the second because the app's canvas is dark, so the user
        # gets the 'covered' warning. An empty white canvas would get that warning too.
        dark = ink_from_rgba(image, "dark")
        if (dark > INK_THRESHOLD).mean() > 0.6:
            ink, mask = dark, dark > INK_THRESHOLD
    if mask.sum() < 4:
        return empty

    message = None
    if mask.mean() > 0.6:
        message = "The canvas is almost entirely covered; clear it and draw one digit with space around it."
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    crop = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    crop_mask = mask[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    side = max(crop.shape)
    stroke = _estimated_stroke_width(crop_mask)
    if message is None and side < 2.5 * stroke:
        message = "That looks like a dot rather than a digit; the prediction will not mean much."

    # Thicken thin strokes so they keep MNIST's share of ink after scaling down.
    wanted = MNIST_STROKE_FRACTION * side
    if stroke < wanted:
        size = int(wanted - stroke) | 1
        if size > 1:
            crop = np.asarray(Image.fromarray(crop).filter(ImageFilter.MaxFilter(min(size, 15))))

    scale = DIGIT_BOX / side
    height = max(1, round(crop.shape[0] * scale))
    width = max(1, round(crop.shape[1] * scale))
    resized = Image.fromarray(crop.astype(np.float32), mode="F").resize(
        (width, height), Image.Resampling.LANCZOS
    )
    box = np.clip(np.asarray(resized, dtype=np.float32), 0.0, 1.0)
    if box.max() > 0:
        box = box / box.max()
    return DigitImage(_centre_by_mass(box), False, message)
