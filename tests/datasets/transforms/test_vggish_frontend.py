"""The VGGish frontend against torchvggish's ``waveform_to_examples``.

The expected numbers below were computed ONCE with torchvggish 0.2 (``vggish_input``,
``mel_features``, numpy float64) on the signals defined here by closed-form formulas; this
test does not import torchvggish.
"""
import math

import numpy as np
import pytest
import torch

from projects.transavs.datasets.transforms import (
    log_mel_examples,
    pad_or_crop_examples,
    vggish_mel_matrix,
    waveform_to_examples,
)

SR = 16000


def signal_a() -> np.ndarray:
    """3.3 s float64: two sines and a 200-4000 Hz chirp under a slow envelope, plus noise."""
    n = int(round(SR * 3.3))
    t = np.arange(n) / SR
    rng = np.random.default_rng(0)
    chirp = np.sin(2 * np.pi * (200.0 * t + 0.5 * (4000.0 - 200.0) / 3.3 * t**2))
    env = 0.6 + 0.4 * np.sin(2 * np.pi * 0.5 * t)
    return env * (0.3 * np.sin(2 * np.pi * 440.0 * t) + 0.2 * np.sin(2 * np.pi * 1234.5 * t + 0.3)
                  + 0.1 * chirp) + 0.05 * rng.standard_normal(n)


def signal_b() -> np.ndarray:
    """2.5 s int16: an amplitude-modulated 300 Hz tone, a 2500 Hz tone and uniform noise."""
    n = 40000
    t = np.arange(n) / SR
    rng = np.random.default_rng(1)
    x = (8000.0 * np.sin(2 * np.pi * 300.0 * t) * (1.0 + 0.5 * np.sin(2 * np.pi * 3.0 * t))
         + 2000.0 * np.sin(2 * np.pi * 2500.0 * t) + rng.integers(-800, 801, n))
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)


# torchvggish reference for signal_a: 3 examples; (example, frame, band) -> value.
REF_A_IDX = [(0, 0, 0), (0, 0, 63), (0, 5, 10), (0, 17, 20), (0, 50, 31), (0, 95, 0),
             (0, 95, 63), (1, 0, 1), (1, 12, 40), (1, 33, 7), (1, 48, 55), (1, 77, 25),
             (1, 90, 62), (2, 3, 3), (2, 20, 45), (2, 41, 12), (2, 64, 33), (2, 80, 50),
             (2, 88, 17), (2, 95, 32)]
REF_A_VAL = [0.10270196, 1.4322082, 0.90994078, 0.36974448, 0.431272, -0.46041641, 1.8712815,
             -1.5798835, 1.343902, 1.2548641, 1.1413311, 0.73537183, 1.146266, -0.63127774,
             1.2460941, -0.18071929, 0.90372127, 1.7391531, 0.22637613, 0.65510303]
REF_A_MEAN = [0.805062812, 0.649340204, 0.788658392]
REF_A_STD = [0.989153314, 0.859006286, 1.02378438]
# signal_b (int16 scaled by 1/32768): 2 examples.
REF_B_IDX = [(0, 0, 0), (0, 10, 5), (0, 30, 12), (0, 47, 30), (0, 60, 44), (0, 95, 63),
             (1, 2, 8), (1, 25, 20), (1, 50, 39), (1, 70, 52), (1, 95, 60)]
REF_B_VAL = [-1.488864, 3.4402202, -1.8525852, -1.3890212, -0.29368836, 0.25111041,
             -1.2243182, -1.156224, -0.16410312, -0.25779252, -0.085621926]
REF_B_MEAN = [-0.417925778, -0.419204917]
REF_B_STD = [1.12988629, 1.1321717]
# spectrogram_to_mel_matrix(64, 257, 16000, 125, 7500): (row, column) -> weight.
REF_MEL = {(5, 0): 0.9476904648, (5, 1): 0.05230953516, (6, 1): 0.9331063455,
           (16, 10): 0.6052732787, (17, 10): 0.6670808314, (33, 20): 0.9792667425,
           (35, 20): 0.01694486108, (90, 40): 0.9961910175, (94, 40): 0.00644450126,
           (223, 63): 0.1041921847, (231, 63): 0.9878272691, (239, 63): 0.1080714037,
           (4, 1): 0.0, (240, 63): 0.0, (100, 40): 0.0}
REF_MEL_COLSUM = {0: 0.9476904648, 31: 2.889027796, 63: 8.944183294}
REF_MEL_TOTAL = 230.9135992


def _values(examples: torch.Tensor, idx) -> np.ndarray:
    return np.array([examples[i, 0, f, b].item() for i, f, b in idx])


def _check_against_reference(examples, idx, vals, means, stds, tol):
    per_example = examples[:, 0].double()  # [n, 96, 64]
    diffs = np.concatenate([
        np.abs(_values(examples, idx) - vals),
        np.abs(per_example.mean(dim=(1, 2)).numpy() - means),
        np.abs(per_example.std(dim=(1, 2), unbiased=False).numpy() - stds)])
    assert diffs.max() < tol, diffs.max()


def test_mel_matrix_equals_torchvggish():
    mel = vggish_mel_matrix()
    assert mel.shape == (257, 64) and mel.dtype == torch.float64
    for (row, col), value in REF_MEL.items():
        assert mel[row, col].item() == pytest.approx(value, abs=1e-9), (row, col)
    for col, value in REF_MEL_COLSUM.items():
        assert mel[:, col].sum().item() == pytest.approx(value, abs=1e-8)
    assert mel.sum().item() == pytest.approx(REF_MEL_TOTAL, abs=1e-6)
    rows = torch.nonzero(mel.sum(dim=1)).flatten()
    assert rows[0].item() == 5 and rows[-1].item() == 239  # DC and > 7500 Hz bins are zero
    assert vggish_mel_matrix(dtype=torch.float32).dtype == torch.float32


def test_mel_matrix_differs_from_torchaudio_and_checks_edges():
    import torchaudio.functional as AF
    # torchaudio builds its triangles in Hz: close (~4e-3), but not VGGish's (1e-9 above).
    hz_triangles = AF.melscale_fbanks(257, 125.0, 7500.0, 64, SR, norm=None, mel_scale='htk')
    assert (hz_triangles.double() - vggish_mel_matrix()).abs().max() > 1e-3
    with pytest.raises(ValueError, match='Nyquist'):
        vggish_mel_matrix(upper_edge_hertz=9000.0)
    with pytest.raises(ValueError, match='below'):
        vggish_mel_matrix(lower_edge_hertz=8000.0, upper_edge_hertz=7500.0)


def test_float_waveform_matches_reference():
    examples = waveform_to_examples(signal_a(), SR)
    assert examples.shape == (3, 1, 96, 64) and examples.dtype == torch.float32
    _check_against_reference(examples, REF_A_IDX, REF_A_VAL, REF_A_MEAN, REF_A_STD, 1e-4)


def test_int16_waveform_matches_reference():
    data = signal_b()
    examples = waveform_to_examples(data, SR)
    assert examples.shape == (2, 1, 96, 64)
    _check_against_reference(examples, REF_B_IDX, REF_B_VAL, REF_B_MEAN, REF_B_STD, 1e-4)
    # int16 means samples / 32768, as torchvggish's wav reader does.
    assert torch.equal(waveform_to_examples(data / 32768.0, SR), examples)


def test_float32_batched_log_mel_examples_on_tensors():
    a = torch.from_numpy(signal_a()).float()  # [52800]
    b = torch.from_numpy(signal_b()[:a.shape[0] - 20000] / 32768.0).float()
    batch = torch.stack([a, torch.cat([b, torch.zeros(20000)])])  # [2, 52800]
    out = log_mel_examples(batch)
    assert out.shape == (2, 3, 1, 96, 64) and out.dtype == torch.float32
    _check_against_reference(out[0], REF_A_IDX, REF_A_VAL, REF_A_MEAN, REF_A_STD, 1e-3)
    torch.testing.assert_close(out[1], log_mel_examples(batch[1]))
    # A torch tensor is accepted by the public function too.
    torch.testing.assert_close(waveform_to_examples(a, SR), out[0], atol=1e-4, rtol=0)


def test_not_torch_stft_framing():
    """Centred 512-sample STFT frames (torch.stft) would shift every frame by 56 samples."""
    wave = torch.from_numpy(signal_a())
    spec = torch.stft(wave, n_fft=512, hop_length=160, win_length=400,
                      window=torch.hann_window(400, periodic=True, dtype=torch.float64),
                      center=False, return_complex=True).abs().T  # [frames, 257]
    stft_log_mel = torch.log(spec @ vggish_mel_matrix() + 0.01)[:96]
    ours = log_mel_examples(wave)[0, 0]
    assert (stft_log_mel - ours).abs().max() > 0.1


def test_stereo_is_mean_of_channels_and_resampling():
    a = signal_a()
    stereo = np.stack([a + 0.1, a - 0.1], axis=1)  # [S, 2]: mean is a
    torch.testing.assert_close(waveform_to_examples(stereo, SR), waveform_to_examples(a, SR))
    # The same tones sampled at 32 kHz give nearly the same features after resampling.
    t32, t16 = np.arange(2 * 33000) / 32000, np.arange(33000) / 16000
    tones = lambda t: 0.3 * np.sin(2 * np.pi * 440 * t) + 0.2 * np.sin(2 * np.pi * 3000 * t)
    resampled = waveform_to_examples(tones(t32).astype(np.float32), 32000)
    native = waveform_to_examples(tones(t16), SR)
    assert resampled.shape == native.shape == (2, 1, 96, 64)
    assert (resampled - native).abs().mean() < 0.02


def test_lengths_silence_and_input_errors():
    assert waveform_to_examples(np.zeros(15599), SR).shape == (0, 1, 96, 64)
    assert waveform_to_examples(np.zeros(15600), SR).shape == (1, 1, 96, 64)
    assert waveform_to_examples(np.zeros(100), SR).shape == (0, 1, 96, 64)
    assert waveform_to_examples(np.zeros(30959), SR).shape == (1, 1, 96, 64)
    assert waveform_to_examples(np.zeros(30960), SR).shape == (2, 1, 96, 64)
    silent = waveform_to_examples(np.zeros(16000, dtype=np.float32), SR)
    assert torch.allclose(silent, torch.full_like(silent, math.log(0.01)))
    with pytest.raises(TypeError, match='int16'):
        waveform_to_examples(np.zeros(16000, dtype=np.uint8), SR)
    with pytest.raises(ValueError, match=r'\[samples, channels\]'):
        waveform_to_examples(np.zeros((2, 2, 16000)), SR)
    with pytest.raises(ValueError, match='positive integer'):
        waveform_to_examples(np.zeros(16000), 0)
    with pytest.raises(TypeError, match='floating'):
        log_mel_examples(torch.zeros(16000, dtype=torch.int64))


def test_pad_or_crop_examples():
    ex = torch.arange(3, dtype=torch.float32).view(3, 1, 1, 1).expand(3, 1, 96, 64)
    repeat = pad_or_crop_examples(ex, 5)
    assert repeat.shape == (5, 1, 96, 64)
    assert repeat[:, 0, 0, 0].tolist() == [0, 1, 2, 2, 2]
    zeros = pad_or_crop_examples(ex + 1, 5, mode='zeros')
    assert zeros[:, 0, 0, 0].tolist() == [1, 2, 3, 0, 0]
    assert pad_or_crop_examples(ex, 2)[:, 0, 5, 5].tolist() == [0, 1]
    assert torch.equal(pad_or_crop_examples(ex, 3), ex)
    with pytest.raises(ValueError, match='pad mode'):
        pad_or_crop_examples(ex, 5, mode='reflect')
    with pytest.raises(ValueError, match='no examples'):
        pad_or_crop_examples(ex[:0], 5)
    assert pad_or_crop_examples(ex[:0], 2, mode='zeros').abs().sum() == 0
