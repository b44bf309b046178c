"""Audio transforms: decoding (wav, flac, mp4) and arrays, VGGish log-mels from wav, pkl, npy."""
import math
import pickle
import warnings

import numpy as np
import pytest
import soundfile as sf
import torch
import torchaudio.functional as AF
from mmcv.transforms import Compose
from mmseg.registry import TRANSFORMS

from projects.transavs.datasets.transforms import (
    LoadAudioFromNDArray,
    LoadAudioLogMel,
    LoadAudioWaveform,
    WaveformToLogMel,
    log_mel_range,
    vggish_mel_matrix,
    waveform_to_examples,
)

SR = 16000


def tone(seconds, sample_rate=SR, freq=440.0, amp=0.5):
    t = np.arange(int(round(seconds * sample_rate))) / sample_rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def peak_hz(wave, sample_rate):
    spectrum = np.abs(np.fft.rfft(wave))
    return np.argmax(spectrum) * sample_rate / len(wave)


def load(path, sample_rate=SR):
    return LoadAudioWaveform(sample_rate)(dict(audio_path=str(path)))


def write_mp4(path, channels, sample_rate, video_only=False):
    """An mp4 with one AAC audio stream ([C, S] float planar) or with only a video stream."""
    import av
    with av.open(str(path), 'w') as container:
        if video_only:
            stream = container.add_stream('mpeg4', rate=5)
            stream.width, stream.height, stream.pix_fmt = 32, 32, 'yuv420p'
            for _ in range(3):
                frame = av.VideoFrame.from_ndarray(np.zeros((32, 32, 3), np.uint8), 'rgb24')
                container.mux(stream.encode(frame))
            container.mux(stream.encode(None))
            return
        layout = 'stereo' if channels.shape[0] == 2 else 'mono'
        stream = container.add_stream('aac', rate=sample_rate, layout=layout)
        for start in range(0, channels.shape[1], 1024):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(channels[:, start:start + 1024]), format='fltp',
                layout=layout)
            frame.sample_rate, frame.pts = sample_rate, start
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


# --------------------------------------------------------------------------- decoding
def test_mono_stereo_and_int_wavs(tmp_path):
    wave = tone(1.5)
    sf.write(tmp_path / 'mono.wav', wave, SR, subtype='FLOAT')
    out = load(tmp_path / 'mono.wav')
    assert out['audio_sample_rate'] == SR and out['audio_wave'].dtype == np.float32
    np.testing.assert_array_equal(out['audio_wave'], wave)

    stereo = np.stack([wave, 0.2 * wave], axis=1)  # [S, 2]
    sf.write(tmp_path / 'stereo.wav', stereo, SR, subtype='FLOAT')
    with warnings.catch_warnings():
        warnings.simplefilter('error')  # stereo is averaged without a note
        np.testing.assert_allclose(load(tmp_path / 'stereo.wav')['audio_wave'], 0.6 * wave,
                                   atol=1e-7)
    surround = np.stack([wave] + [0.0 * wave] * 5, axis=1)  # [S, 6]: 5.1, centre only
    sf.write(tmp_path / 'surround.wav', surround, SR, subtype='FLOAT')
    with pytest.warns(UserWarning, match=r'surround.wav has 6 channels \(surround\?\); they are '
                      'averaged into one'):
        out = load(tmp_path / 'surround.wav')['audio_wave']
    np.testing.assert_allclose(out, wave / 6, atol=1e-7)

    pcm = np.round(wave * 20000).astype(np.int16)
    sf.write(tmp_path / 'pcm16.wav', pcm, SR, subtype='PCM_16')
    np.testing.assert_array_equal(load(tmp_path / 'pcm16.wav')['audio_wave'],
                                  pcm.astype(np.float32) / 32768)


def test_44k_wav_and_flac_are_resampled(tmp_path):
    wave44 = tone(2.0, sample_rate=44100, freq=1000.0)
    sf.write(tmp_path / 'a44k.wav', np.stack([wave44, wave44], axis=1), 44100, subtype='FLOAT')
    out = load(tmp_path / 'a44k.wav')['audio_wave']
    assert out.shape == (32000, )
    expected = AF.resample(torch.from_numpy(wave44.astype(np.float64)), 44100, SR).numpy()
    np.testing.assert_allclose(out, expected, atol=1e-6)
    assert peak_hz(out, SR) == pytest.approx(1000.0, abs=1.0)
    assert np.sqrt(np.mean(out[1000:-1000]**2)) == pytest.approx(0.5 / math.sqrt(2), rel=1e-2)

    sf.write(tmp_path / 'a.flac', np.round(wave44 * 32767).astype(np.int16), 44100)
    flac = load(tmp_path / 'a.flac')['audio_wave']
    assert flac.shape == (32000, )
    np.testing.assert_allclose(flac, out, atol=1e-3)
    # Another output rate.
    assert load(tmp_path / 'a.flac', sample_rate=8000)['audio_wave'].shape == (16000, )


def test_audio_inside_mp4(tmp_path):
    left = tone(2.0, sample_rate=44100, freq=440.0)
    write_mp4(tmp_path / 'clip.mp4', np.stack([left, 0.5 * left]), 44100)
    out = load(tmp_path / 'clip.mp4')
    wave = out['audio_wave']
    assert out['audio_sample_rate'] == SR and wave.dtype == np.float32
    assert abs(len(wave) - 32000) < 1200  # AAC adds up to ~2 frames of priming/padding
    assert peak_hz(wave, SR) == pytest.approx(440.0, abs=1.0)
    # The mono mixdown is the channel mean: amplitude 0.75 * 0.5.
    rms = np.sqrt(np.mean(wave[4000:-4000]**2))
    assert rms == pytest.approx(0.375 / math.sqrt(2), rel=0.03)

    write_mp4(tmp_path / 'video_only.mp4', None, None, video_only=True)
    with pytest.raises(ValueError, match=r'video_only\.mp4.*no audio stream'):
        load(tmp_path / 'video_only.mp4')


def test_bad_audio_files(tmp_path):
    with pytest.raises(FileNotFoundError, match='missing.wav'):
        load(tmp_path / 'missing.wav')
    (tmp_path / 'corrupt.wav').write_bytes(b'RIFF\x00\x01\x00\x00WAVEfmt ' + bytes(300))
    with pytest.raises(ValueError, match=r'unreadable: .*corrupt\.wav'):
        load(tmp_path / 'corrupt.wav')
    sf.write(tmp_path / 'empty.wav', np.zeros(0, np.float32), SR, subtype='FLOAT')
    with pytest.raises(ValueError, match=r'empty\.wav has no samples'):
        load(tmp_path / 'empty.wav')
    wave = tone(1.0)
    wave[100] = np.nan
    sf.write(tmp_path / 'nan.wav', wave, SR, subtype='FLOAT')
    with pytest.raises(ValueError, match=r'nan\.wav contains NaN or Inf samples'):
        load(tmp_path / 'nan.wav')
    with pytest.raises(KeyError, match='audio_path'):
        LoadAudioWaveform()(dict())


# --------------------------------------------------------------------------- wav -> log-mel
def test_waveform_to_log_mel_pads_and_crops(tmp_path):
    rng = np.random.default_rng(0)
    long_wave = (0.1 * rng.standard_normal(SR * 6)).astype(np.float32)
    sf.write(tmp_path / 'long.wav', long_wave, SR, subtype='FLOAT')
    pipeline = Compose([dict(type='LoadAudioWaveform'), dict(type='WaveformToLogMel')])
    out = pipeline(dict(audio_path=str(tmp_path / 'long.wav'), clip_seconds=5))
    log_mel = out['audio_log_mel']
    assert log_mel.shape == (5, 1, 96, 64) and log_mel.dtype == torch.float32
    assert 'audio_wave' not in out
    torch.testing.assert_close(log_mel, waveform_to_examples(long_wave, SR)[:5])

    short = long_wave[:int(SR * 3.3)]  # 3 examples -> the last is repeated twice
    out = WaveformToLogMel()(dict(audio_wave=short, audio_sample_rate=SR, clip_seconds=5))
    reference = waveform_to_examples(short, SR)
    assert reference.shape[0] == 3
    torch.testing.assert_close(out['audio_log_mel'][:3], reference)
    assert torch.equal(out['audio_log_mel'][3], reference[2])
    assert torch.equal(out['audio_log_mel'][4], reference[2])

    zeros = WaveformToLogMel(num_examples=4, pad_mode='zeros')(
        dict(audio_wave=short, audio_sample_rate=SR))['audio_log_mel']
    assert zeros.shape == (4, 1, 96, 64) and zeros[3].abs().sum() == 0
    with pytest.raises(KeyError, match='clip_seconds'):
        WaveformToLogMel()(dict(audio_wave=short, audio_sample_rate=SR))
    with pytest.raises(ValueError, match='pad_mode'):
        WaveformToLogMel(pad_mode='edge')


def test_waveform_to_log_mel_needs_16k_mono(tmp_path):
    # The loaders mix down and resample; the log-mel step only takes their output.
    with pytest.raises(ValueError, match=r'/data/a44k\.wav is at 44100 Hz; expected 16000 Hz'):
        WaveformToLogMel()(dict(audio_wave=tone(1.0, 44100), audio_sample_rate=44100,
                                clip_seconds=5, audio_path='/data/a44k.wav'))
    stereo = np.stack([tone(1.0), tone(1.0)], axis=1)  # [S, 2]
    with pytest.raises(ValueError, match=r"results\['audio_wave'\] .*shape \(16000, 2\).*mono"):
        WaveformToLogMel()(dict(audio_wave=stereo, audio_sample_rate=SR, clip_seconds=5))
    with pytest.raises(ValueError, match='int16.*floating'):
        WaveformToLogMel()(dict(audio_wave=np.zeros(SR, np.int16), audio_sample_rate=SR,
                                clip_seconds=5))
    with pytest.raises(KeyError, match='LoadAudioFromNDArray'):
        WaveformToLogMel()(dict(audio_path='a.wav', clip_seconds=5))
    # A 44.1 kHz file reaches it as 16 kHz mono through the loader, mixed down once.
    wave44 = tone(2.0, sample_rate=44100, freq=1000.0)
    sf.write(tmp_path / 'a44k.wav', np.stack([wave44, 0.5 * wave44], axis=1), 44100,
             subtype='FLOAT')
    out = Compose([LoadAudioWaveform(), WaveformToLogMel(num_examples=2)])(
        dict(audio_path=str(tmp_path / 'a44k.wav')))
    expected = waveform_to_examples(np.stack([wave44, 0.5 * wave44], axis=1), 44100)
    assert expected.shape[0] == 2
    torch.testing.assert_close(out['audio_log_mel'], expected, atol=1e-4, rtol=0)


# --------------------------------------------------------------------------- arrays
def test_array_loader_equals_file_loader(tmp_path):
    rng = np.random.default_rng(1)
    stereo = (0.2 * rng.standard_normal((44100 * 2, 2))).astype(np.float32)  # [S, 2]
    sf.write(tmp_path / 'noise.wav', stereo, 44100, subtype='FLOAT')
    from_file = load(tmp_path / 'noise.wav')
    from_array = TRANSFORMS.build(dict(type='LoadAudioFromNDArray'))(
        dict(audio_wave=stereo, audio_sample_rate=44100))
    assert from_array['audio_sample_rate'] == SR
    assert from_array['audio_wave'].dtype == np.float32
    assert from_array['audio_wave'].shape == (32000, )
    np.testing.assert_array_equal(from_array['audio_wave'], from_file['audio_wave'])
    # int16 is scaled as torchvggish does; 16 kHz mono passes unchanged.
    pcm = np.array([0, 16384, -32768], np.int16)
    out = LoadAudioFromNDArray()(dict(audio_wave=pcm, audio_sample_rate=SR))['audio_wave']
    np.testing.assert_array_equal(out, [0.0, 0.5, -1.0])
    wave = tone(1.0)
    np.testing.assert_array_equal(
        LoadAudioFromNDArray()(dict(audio_wave=wave, audio_sample_rate=SR))['audio_wave'], wave)


def test_array_loader_errors():
    loader = LoadAudioFromNDArray()
    wave = tone(1.0)
    with pytest.raises(ValueError, match=r'shape \(2, 16000\): more channels than samples'):
        loader(dict(audio_wave=np.stack([wave, wave]), audio_sample_rate=SR))
    with pytest.raises(ValueError, match=r"results\['audio_wave'\] has shape \(2, 3, 4\)"):
        loader(dict(audio_wave=np.zeros((2, 3, 4), np.float32), audio_sample_rate=SR))
    with pytest.raises(ValueError, match=r"results\['audio_wave'\] has no samples"):
        loader(dict(audio_wave=np.zeros(0, np.float32), audio_sample_rate=SR))
    bad = wave.copy()
    bad[7] = np.inf
    with pytest.raises(ValueError, match=r"results\['audio_wave'\] contains NaN or Inf"):
        loader(dict(audio_wave=bad, audio_sample_rate=SR))
    with pytest.raises(ValueError, match=r'invalid sample rate 0'):
        loader(dict(audio_wave=wave, audio_sample_rate=0))
    with pytest.raises(TypeError, match=r"results\['audio_wave'\].*int64"):
        loader(dict(audio_wave=np.zeros(SR, np.int64), audio_sample_rate=SR))
    with pytest.raises(TypeError, match='numpy array, got list'):
        loader(dict(audio_wave=[0.0] * SR, audio_sample_rate=SR))
    with pytest.raises(KeyError, match='audio_sample_rate'):
        loader(dict(audio_wave=wave))


def test_short_and_silent_audio(tmp_path):
    wave = tone(0.5)
    results = dict(audio_wave=wave, audio_sample_rate=SR, clip_seconds=5,
                   audio_path='/data/short_clip.wav')
    with pytest.warns(UserWarning, match=r'short_clip\.wav.*0\.500 s.*zero-padded'):
        log_mel = WaveformToLogMel()(results)['audio_log_mel']
    padded = np.concatenate([wave, np.zeros(15600 - len(wave), np.float32)])
    expected = waveform_to_examples(padded, SR)
    assert expected.shape[0] == 1
    for i in range(5):
        torch.testing.assert_close(log_mel[i], expected[0])

    sf.write(tmp_path / 'silent.wav', np.zeros(SR * 5, np.int16), SR, subtype='PCM_16')
    out = Compose([LoadAudioWaveform(), WaveformToLogMel()])(
        dict(audio_path=str(tmp_path / 'silent.wav'), clip_seconds=5))
    assert torch.isfinite(out['audio_log_mel']).all()
    assert torch.allclose(out['audio_log_mel'], torch.tensor(math.log(0.01)))


# --------------------------------------------------------------------------- pkl / npy
def test_load_log_mel_pkl_and_npy(tmp_path):
    torch.manual_seed(0)
    log_mel = torch.randn(5, 96, 64)[:, None]  # [5, 1, 96, 64]
    with open(tmp_path / 'clip.pkl', 'wb') as f:
        pickle.dump(log_mel, f)
    out = TRANSFORMS.build(dict(type='LoadAudioLogMel'))(
        dict(log_mel_path=str(tmp_path / 'clip.pkl'), clip_seconds=5))
    assert torch.equal(out['audio_log_mel'], log_mel)
    assert out['audio_log_mel'].dtype == torch.float32 and out['audio_log_mel'].is_contiguous()

    np.save(tmp_path / 'clip.npy', log_mel.double().numpy())
    out = LoadAudioLogMel(source='npy')(
        dict(log_mel_cache_path=str(tmp_path / 'clip.npy'), clip_seconds=5))
    assert out['audio_log_mel'].dtype == torch.float32
    assert torch.equal(out['audio_log_mel'], log_mel)


def test_load_log_mel_pads_crops_and_rejects(tmp_path):
    three = torch.arange(3.0).view(3, 1, 1, 1).expand(3, 1, 96, 64).contiguous()
    np.save(tmp_path / 'three.npy', three.numpy())
    results = dict(log_mel_cache_path=str(tmp_path / 'three.npy'), clip_seconds=5)
    padded = LoadAudioLogMel(source='npy')(dict(results))['audio_log_mel']
    assert padded[:, 0, 0, 0].tolist() == [0, 1, 2, 2, 2]
    zeros = LoadAudioLogMel(source='npy', pad_mode='zeros')(dict(results))['audio_log_mel']
    assert zeros[:, 0, 7, 7].tolist() == [0, 1, 2, 0, 0]
    cropped = LoadAudioLogMel(source='npy')(dict(results, clip_seconds=2))['audio_log_mel']
    assert cropped[:, 0, 0, 0].tolist() == [0, 1]

    def npy(name, array):
        np.save(tmp_path / name, array)
        return dict(log_mel_cache_path=str(tmp_path / name), clip_seconds=5)

    loader = LoadAudioLogMel(source='npy')
    with pytest.raises(ValueError, match=r'flat\.npy holds shape \(5, 96, 64\).*\[n, 1, 96, 64\]'):
        loader(npy('flat.npy', np.zeros((5, 96, 64), np.float32)))
    with pytest.raises(ValueError, match=r'bands\.npy holds shape \(5, 1, 96, 128\)'):
        loader(npy('bands.npy', np.zeros((5, 1, 96, 128), np.float32)))
    with pytest.raises(ValueError, match=r'none\.npy holds shape \(0, 1, 96, 64\)'):
        loader(npy('none.npy', np.zeros((0, 1, 96, 64), np.float32)))
    with pytest.raises(ValueError, match=r'ints\.npy has dtype int'):
        loader(npy('ints.npy', np.zeros((5, 1, 96, 64), np.int32)))
    nan = np.zeros((5, 1, 96, 64), np.float32)
    nan[2, 0, 3, 4] = np.inf
    with pytest.raises(ValueError, match=r'inf\.npy contains NaN or Inf'):
        loader(npy('inf.npy', nan))
    np.save(tmp_path / 'objects.npy', np.array([{'a': 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match=r'unreadable: .*objects\.npy'):
        loader(dict(log_mel_cache_path=str(tmp_path / 'objects.npy'), clip_seconds=5))
    (tmp_path / 'corrupt.npy').write_bytes(b'\x93NUMPY garbage')
    with pytest.raises(ValueError, match=r'unreadable: .*corrupt\.npy'):
        loader(dict(log_mel_cache_path=str(tmp_path / 'corrupt.npy'), clip_seconds=5))
    with pytest.raises(FileNotFoundError, match=r'missing\.npy'):
        loader(dict(log_mel_cache_path=str(tmp_path / 'missing.npy'), clip_seconds=5))
    with pytest.raises(KeyError, match='log_mel_cache_path'):
        loader(dict(log_mel_cache_path=None, clip_seconds=5))

    with open(tmp_path / 'flat.pkl', 'wb') as f:
        pickle.dump(torch.zeros(5, 96, 64), f)
    with pytest.raises(ValueError, match=r'flat\.pkl holds shape \(5, 96, 64\)'):
        LoadAudioLogMel()(dict(log_mel_path=str(tmp_path / 'flat.pkl'), clip_seconds=5))
    with pytest.raises(FileNotFoundError, match=r'missing\.pkl'):
        LoadAudioLogMel()(dict(log_mel_path=str(tmp_path / 'missing.pkl'), clip_seconds=5))
    with pytest.raises(ValueError, match='source'):
        LoadAudioLogMel(source='h5')


def test_log_mels_outside_the_vggish_range_are_refused(tmp_path):
    """Log-mels of int16 samples not divided by 32768 (or garbage) name their file; the
    range holds every waveform in [-1, 1], including the extreme ones."""
    low, high = log_mel_range()
    assert low == pytest.approx(math.log(0.01))
    assert high == pytest.approx(math.log(200 * float(vggish_mel_matrix().sum(0).max()) + 0.01))
    t = np.arange(2 * SR) / SR
    extremes = [np.sign(np.sin(2 * np.pi * 440 * t)), np.sin(2 * np.pi * (100 + 3000 * t) * t),
                np.random.default_rng(0).uniform(-1, 1, 2 * SR), np.zeros(2 * SR)]
    for w in extremes:
        examples = waveform_to_examples(w.astype(np.float32), SR)
        assert low - 1e-4 <= float(examples.min()) and float(examples.max()) <= high
    wave = tone(5.0) * 0.9
    good = waveform_to_examples(wave.astype(np.float32), SR)  # [5, 1, 96, 64]
    unscaled = waveform_to_examples((wave * 32768).astype(np.float32), SR)
    assert float(unscaled.max()) > high
    loader = LoadAudioLogMel(source='npy')
    np.save(tmp_path / 'good.npy', good.numpy())
    out = loader(dict(log_mel_cache_path=str(tmp_path / 'good.npy'), clip_seconds=5))
    assert torch.equal(out['audio_log_mel'], good)
    np.save(tmp_path / 'int16.npy', unscaled.numpy())
    with pytest.raises(ValueError, match=r'int16\.npy holds values in \[.*\], outside '
                       r'\[-4\.605, 7\.489\], the range of VGGish log-mels'):
        loader(dict(log_mel_cache_path=str(tmp_path / 'int16.npy'), clip_seconds=5))
