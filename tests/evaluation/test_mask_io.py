"""Tests of the evaluation's PNG reading and writing."""
import numpy as np
import pytest
import torch
from PIL import Image

from projects.transavs.evaluation.mask_io import (
    decode_prob_png,
    encode_prob_png,
    read_mask_png,
    read_prob_png,
    write_prob_png,
)


def test_encode_rounds_and_keeps_the_decision_boundary():
    prob = np.array([[0.0, 1.0, 0.2, 0.5], [0.5 + 1e-6, 0.4999, 0.50196, 0.25]])
    # round(x * 255): 0, 255, 51, 127.5 -> 127 (0.5 is background), 127.50026 -> 128 (just
    # above 0.5), 127.47 -> 127, 128.0 -> 128, 63.75 -> 64.
    expected = np.array([[0, 255, 51, 127], [128, 127, 128, 64]], np.uint8)
    value = encode_prob_png(prob)
    assert value.dtype == np.uint8
    np.testing.assert_array_equal(value, expected)
    np.testing.assert_array_equal(encode_prob_png(torch.from_numpy(prob).float()), expected)


def test_decode_is_value_over_255_and_threshold_exact():
    decoded = decode_prob_png(np.array([[0, 127, 128, 255]], np.uint8))
    assert decoded.dtype == np.float32
    np.testing.assert_allclose(decoded, [[0, 127 / 255, 128 / 255, 1]], rtol=0, atol=1e-7)
    np.testing.assert_array_equal(decoded > 0.5, [[False, False, True, True]])
    # Round trip: the binary prediction survives, the probability within half a step.
    prob = np.random.default_rng(0).random((16, 16))
    prob[0, :4] = [0.5, np.nextafter(0.5, 1), 0.4999999, 0.5019]
    back = decode_prob_png(encode_prob_png(prob))
    np.testing.assert_array_equal(back > 0.5, prob > 0.5)
    assert np.abs(back - prob).max() <= 1 / 255


@pytest.mark.parametrize('bad', [np.array([[0.2, 1.2]]), np.array([[-0.1, 0.2]]),
                                 np.array([[np.nan, 0.2]])])
def test_encode_rejects_values_outside_unit_range(bad):
    with pytest.raises(ValueError, match=r'\[0, 1\]'):
        encode_prob_png(bad)


def test_encode_and_decode_reject_wrong_input():
    with pytest.raises(ValueError, match=r'\[H, W\]'):
        encode_prob_png(np.zeros((2, 3, 3)))
    with pytest.raises(ValueError, match='integer'):
        decode_prob_png(np.zeros((2, 2), np.float32))
    with pytest.raises(ValueError, match=r'\[0, 255\]'):
        decode_prob_png(np.array([[300]]))


def test_write_then_read_prob_png(tmp_path):
    prob = torch.tensor([[0.0, 0.2], [0.51, 1.0]])
    path = tmp_path / 'a' / 'b' / 'v_1.png'  # folders are created
    write_prob_png(str(path), prob)
    with Image.open(path) as image:
        assert image.mode == 'L'
        np.testing.assert_array_equal(np.asarray(image), [[0, 51], [130, 255]])
    np.testing.assert_allclose(read_prob_png(str(path)), [[0, 51 / 255], [130 / 255, 1]],
                               atol=1e-7)
    assert [p.name for p in path.parent.iterdir()] == ['v_1.png']  # no temporary left


def test_read_mask_png_single_channel_and_colour(tmp_path):
    gray = np.array([[0, 255], [1, 0]], np.uint8)
    Image.fromarray(gray).save(tmp_path / 'gray.png')
    np.testing.assert_array_equal(read_mask_png(str(tmp_path / 'gray.png')),
                                  [[False, True], [True, False]])
    rgb = np.zeros((2, 2, 3), np.uint8)
    rgb[0, 1, 2] = 9  # only blue set: foreground
    Image.fromarray(rgb).save(tmp_path / 'rgb.png')
    np.testing.assert_array_equal(read_mask_png(str(tmp_path / 'rgb.png')),
                                  [[False, True], [False, False]])
    rgba = np.zeros((2, 2, 4), np.uint8)
    rgba[..., 3] = 255  # opaque black everywhere: alpha is ignored
    rgba[1, 0, 0] = 200
    Image.fromarray(rgba).save(tmp_path / 'rgba.png')
    np.testing.assert_array_equal(read_mask_png(str(tmp_path / 'rgba.png')),
                                  [[False, False], [True, False]])
    palette = Image.fromarray(np.array([[0, 1], [1, 0]], np.uint8), mode='P')
    palette.putpalette([0, 0, 0, 255, 255, 255] + [0] * 762)
    palette.save(tmp_path / 'p.png')
    np.testing.assert_array_equal(read_mask_png(str(tmp_path / 'p.png')),
                                  [[False, True], [True, False]])


def test_missing_and_corrupt_files_are_named(tmp_path):
    missing = tmp_path / 'none.png'
    with pytest.raises(FileNotFoundError, match='none.png'):
        read_mask_png(str(missing))
    with pytest.raises(FileNotFoundError, match='none.png'):
        read_prob_png(str(missing))
    corrupt = tmp_path / 'bad.png'
    corrupt.write_bytes(b'\x89PNG\r\n\x1a\n this is not a png')
    with pytest.raises(ValueError, match='bad.png'):
        read_mask_png(str(corrupt))
    rgb = tmp_path / 'rgb.png'
    Image.fromarray(np.zeros((2, 2, 3), np.uint8)).save(rgb)
    with pytest.raises(ValueError, match=r'rgb.png.*single-channel'):
        read_prob_png(str(rgb))
