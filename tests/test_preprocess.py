"""Canvas preprocessing: the drawing is cropped, scaled and centred the way MNIST was made."""

import numpy as np
import pytest
from PIL import Image, ImageDraw

from lstm_demo import config
from lstm_demo.preprocess import canvas_to_digit, digit_sequences, images_to_sequences


def draw(strokes, width=18, ink="white", background="black", transparent=False, size=280):
    """RGBA canvas with polyline strokes, like streamlit-drawable-canvas returns."""
    if transparent:
        image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    else:
        image = Image.new("RGBA", (size, size), background)
    pen = ImageDraw.Draw(image)
    for points in strokes:
        pen.line(points, fill=ink, width=width, joint="curve")
    return np.asarray(image)


def centre_of_mass(pixels):
    rows, cols = np.indices(pixels.shape)
    return (rows * pixels).sum() / pixels.sum(), (cols * pixels).sum() / pixels.sum()


def eight(width):
    top = [(140 + 40 * np.cos(a), 90 + 45 * np.sin(a)) for a in np.linspace(0, 2 * np.pi, 40)]
    bottom = [(140 + 50 * np.cos(a), 185 + 50 * np.sin(a)) for a in np.linspace(0, 2 * np.pi, 40)]
    return draw([top, bottom], width=width)


def test_one_at_left_edge_is_centred():
    pixels = canvas_to_digit(draw([[(12, 40), (12, 240)]])).pixels
    row, col = centre_of_mass(pixels)
    assert abs(row - 13.5) <= 1
    assert abs(col - 13.5) <= 1
    ink_columns = np.flatnonzero((pixels > 0.2).any(axis=0))
    assert ink_columns.max() - ink_columns.min() + 1 <= 8


def test_thin_eight_keeps_ink():
    thin = canvas_to_digit(eight(width=3)).pixels
    normal = canvas_to_digit(eight(width=18)).pixels
    assert (thin > 0.5).sum() >= 0.5 * (normal > 0.5).sum()
    assert thin.max() == pytest.approx(1.0)


def test_black_on_white_equals_white_on_black():
    strokes = [[(140, 40), (140, 240)], [(100, 60), (140, 40)]]
    white_on_black = canvas_to_digit(draw(strokes)).pixels
    black_on_white = canvas_to_digit(draw(strokes, ink="black", background="white")).pixels
    assert np.abs(white_on_black - black_on_white).max() < 0.05


def test_transparent_background_uses_alpha():
    strokes = [[(140, 40), (140, 240)]]
    opaque = canvas_to_digit(draw(strokes)).pixels
    transparent = canvas_to_digit(draw(strokes, ink=(255, 255, 255, 255), transparent=True)).pixels
    black_ink = canvas_to_digit(draw(strokes, ink=(0, 0, 0, 255), transparent=True)).pixels
    assert np.abs(opaque - transparent).max() < 0.05
    assert np.abs(opaque - black_ink).max() < 0.05


def test_empty_canvas_is_empty():
    for image in (None, draw([]), draw([], transparent=True)):
        prepared = canvas_to_digit(image)
        assert prepared.is_empty
        assert prepared.message


def test_fits_twenty_pixel_box():
    pixels = canvas_to_digit(draw([[(60, 140), (220, 140)]], width=30)).pixels
    rows = np.flatnonzero((pixels > 0.05).any(axis=1))
    cols = np.flatnonzero((pixels > 0.05).any(axis=0))
    assert cols.max() - cols.min() + 1 <= 21
    assert rows.max() - rows.min() + 1 <= 21


def test_tiny_corner_digit_scaled_up():
    pixels = canvas_to_digit(draw([[(250, 250), (250, 275)], [(245, 250), (255, 250)]], width=3)).pixels
    rows = np.flatnonzero((pixels > 0.2).any(axis=1))
    assert rows.max() - rows.min() + 1 >= 15
    assert abs(centre_of_mass(pixels)[0] - 13.5) <= 1.5


def test_full_canvas_warns():
    image = draw([[(0, y), (280, y)] for y in range(0, 281, 20)], width=30)
    prepared = canvas_to_digit(image)
    assert not prepared.is_empty
    assert "covered" in prepared.message


def test_single_dot_warns():
    image = Image.new("RGBA", (280, 280), "black")
    ImageDraw.Draw(image).ellipse((131, 131, 149, 149), fill="white")
    prepared = canvas_to_digit(np.asarray(image))
    assert not prepared.is_empty
    assert "dot" in prepared.message


def test_sequences_with_delay():
    images = np.full((2, 28, 28), 255, np.uint8)
    rows = images_to_sequences(images, delay=5)
    assert rows.shape == (2, 33, 28)
    assert rows.dtype == np.float32
    assert rows[:, :28].max() == 1.0
    assert rows[:, 28:].max() == 0.0


def test_sequences_with_noise_rows():
    images = np.zeros((3, 28, 28), np.uint8)
    rows = images_to_sequences(images, delay=40, noise=0.5, seed=7)
    assert rows.shape == (3, 68, 28)
    assert not rows[:, :28].any()
    filler = rows[:, 28:]
    assert filler.min() >= 0.0
    assert filler.max() <= 0.5
    assert 0.2 < filler.mean() < 0.3
    # Each sample gets its own noise, and the same seed gives the same rows.
    assert not np.array_equal(filler[0], filler[1])
    assert np.array_equal(rows, images_to_sequences(images, delay=40, noise=0.5, seed=7))
    assert not np.array_equal(rows, images_to_sequences(images, delay=40, noise=0.5, seed=8))


def test_digit_sequences_follow_the_configuration():
    memory_config = config.MEMORY_CONFIGS["digits"][config.memory_config_name("lstm", 30)]
    image = np.zeros((1, 28, 28), np.float32)
    rows = digit_sequences(image, memory_config)
    assert rows.shape == (1, 58, 28)
    assert rows[0, 28:].std() > 0.1
    assert np.array_equal(rows, digit_sequences(image, memory_config))
    assert digit_sequences(image, config.DIGITS_SEED).shape == (1, 28, 28)
