"""The trained tiny S4 model through ONNX: tools/deploy/export_onnx.py --verify, ONNX Runtime
against PyTorch on a clip of the generated data, and tools/infer.py --onnx writing the masks
the checkpoint path writes."""
import json
import os.path as osp

import numpy as np
import torch
from PIL import Image
from tool_runs import run_tool

from projects.transavs.apis import init_model, open_video_inputs, segment_video
from projects.transavs.datasets import AVSBenchS4Dataset
from projects.transavs.deploy.onnx_verify import PROB_TOL, verify_onnx


def test_export_verify_and_infer_with_onnx(trained, s4_root, media, tmp_path):
    config, work_dir, _ = trained
    checkpoint = osp.join(work_dir, 'iter_16.pth')
    onnx_file = tmp_path / 'tiny_s4.onnx'
    result = run_tool(['deploy/export_onnx.py', config, checkpoint, '--out', str(onnx_file),
                       '--verify', '--threads', '1'], cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.strip().splitlines()
    assert any(line.startswith(f'exported {onnx_file} (') and 'frames 64x64' in line
               for line in lines), lines[-5:]
    report = json.loads(next(line for line in lines if line.startswith('verify: '))[8:])
    assert report['passed'] and report['max_abs_prob_diff'] <= PROB_TOL
    assert [c['frames'] for c in report['clips']] == [5, 10]

    # a clip of the generated test split, through the config's test pipeline
    model = init_model(config, checkpoint)
    dataset = AVSBenchS4Dataset(data_root=s4_root, split='test',
                                pipeline=model.cfg.test_dataloader.dataset.pipeline)
    packed = dataset[0]['inputs']
    clip = (packed['frames'], packed['audio_log_mel'], torch.arange(5))
    report = verify_onnx(model, str(onnx_file), size=(64, 64), clips=[clip], num_threads=1)
    assert report['passed'], report
    assert report['clips'][0]['pixels'] == 5 * 64 * 64

    # tools/infer.py --onnx on a video, against the checkpoint path of the same config
    out = tmp_path / 'onnx_out'
    result = run_tool(['infer.py', config, '--onnx', str(onnx_file), '--video', media['video'],
                       '--out', str(out), '--fps', '2', '--no-video'], cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    expected = segment_video(model, open_video_inputs(video=media['video'], fps=2),
                             str(tmp_path / 'ckpt_out'), overlay=False, progress=False)
    with open(out / 'summary.json') as f:
        summary = json.load(f)
    assert summary['onnx'] == str(onnx_file) and summary['checkpoint'] is None
    assert summary['frame_times'] == expected['frame_times']
    assert len(summary['frames']) == len(expected['frames']) == 14
    for got, want in zip(summary['frames'], expected['frames']):
        a = np.asarray(Image.open(out / got['mask']), dtype=np.int16)
        b = np.asarray(Image.open(tmp_path / 'ckpt_out' / want['mask']), dtype=np.int16)
        assert a.shape == b.shape == (80, 64)
        assert np.abs(a - b).max() <= 1  # probabilities within 1e-4, rounded to 1/255
        decided = (b != 127) & (b != 128)  # away from 0.5, the sounding masks are equal
        assert np.array_equal((a >= 128)[decided], (b >= 128)[decided])
