"""Draws clips with their predictions during validation and testing."""
from typing import Optional, Sequence, Tuple, Union

import mmcv
import numpy as np
from mmengine.hooks import Hook
from mmengine.visualization import Visualizer
from mmseg.registry import HOOKS

__all__ = ['AVSVisualizationHook', 'load_clip_frames']

#: RGB fill of padded frames in :func:`load_clip_frames` (grey)
PAD_FRAME_COLOUR = (128, 128, 128)


def load_clip_frames(frame_paths: Sequence[Optional[str]],
                     size_hw: Tuple[int, int],
                     pad_value: Union[int, Sequence[int]] = PAD_FRAME_COLOUR) -> np.ndarray:
    """Reads a clip's frames as RGB uint8 ``[T, H, W, 3]`` at ``size_hw``.

    Args:
        frame_paths (Sequence[str | None]): ``T`` image files; None marks a padded frame
            (a short clip brought to ``T`` frames by the loader, e.g. AVSBench-semantic's v1
            clips), which is filled with ``pad_value``.
        size_hw (tuple[int, int]): output ``(H, W)``.
        pad_value (int | Sequence[int]): RGB fill of padded frames. Defaults to grey.

    Returns:
        np.ndarray: RGB uint8 ``[T, H, W, 3]``.

    Raises:
        FileNotFoundError: a frame cannot be read.
    """
    height, width = int(size_hw[0]), int(size_hw[1])
    frames = []
    for path in frame_paths:
        if path is None:
            fill = np.empty((height, width, 3), np.uint8)
            fill[...] = pad_value
            frames.append(fill)
            continue
        img = mmcv.imread(path, channel_order='rgb')
        if img is None:
            raise FileNotFoundError(f'cannot read frame {path}')
        frames.append(mmcv.imresize(img, (width, height)))
    return np.stack(frames)


@HOOKS.register_module()
class AVSVisualizationHook(Hook):
    """Sends pictures of clips (:class:`AVSLocalVisualizer`) to the visualizer's backends.

    During validation every ``interval``-th batch's first clip is drawn; during testing
    every clip. With a ``LocalVisBackend`` the pictures land in
    ``{save_dir}/vis_image/{video}_{step}.png`` (``save_dir`` is ``{work_dir}/{timestamp}/
    vis_data`` or ``tools/test.py --show-dir``). Off unless ``draw=True``.

    The runner's validation and test loops give the visualizer the data set's metainfo
    (``dataset_meta``), so semantic data sets (AVSBench-semantic) are drawn with their class
    colours and names. Padded frames (metainfo ``frame_padded``; their ``frame_paths`` are
    None) are not read and are left out of the pictures.

    Args:
        draw (bool): draw at all. Defaults to False.
        interval (int): validation batches between drawings. Defaults to 50.
        show (bool): show in a window. Defaults to False.
        wait_time (float): seconds a shown picture stays. Defaults to 0.
    """

    priority = 'NORMAL'

    def __init__(self,
                 draw: bool = False,
                 interval: int = 50,
                 show: bool = False,
                 wait_time: float = 0.) -> None:
        self.draw = draw
        self.interval = interval
        self.show = show
        self.wait_time = wait_time
        self._test_index = 0

    def _draw(self, sample, name: str, step: int,
              visualizer: Optional[Visualizer] = None) -> None:
        visualizer = visualizer or Visualizer.get_current_instance()
        size = tuple(sample.pred_sem_seg.shape) if 'pred_sem_seg' in sample else \
            tuple(sample.metainfo['img_shape'])
        paths = list(sample.metainfo['frame_paths'])
        padded = sample.metainfo.get('frame_padded')
        if padded is not None:  # padded frames are not drawn: do not read them
            paths = [None if p else path for path, p in zip(paths, padded)]
        frames = load_clip_frames(paths, size)  # [T, H, W, 3]
        if sample.metainfo.get('flip', False):
            frames = frames[:, :, ::-1].copy()
        visualizer.add_datasample(name, frames, data_sample=sample, show=self.show,
                                  wait_time=self.wait_time, step=step)

    def after_val_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if not self.draw or not outputs or batch_idx % self.interval != 0:
            return
        sample = outputs[0]
        self._draw(sample, f'val_{sample.metainfo.get("video_name", batch_idx)}', runner.iter,
                   getattr(runner, 'visualizer', None))

    def after_test_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if not self.draw or not outputs:
            return
        for sample in outputs:
            self._test_index += 1
            name = str(sample.metainfo.get('video_name', self._test_index))
            condition = sample.metainfo.get('audio_condition')
            if condition and condition != 'positive':  # negative audio: its own pictures
                name = f'{condition}_{name}'
            self._draw(sample, name, self._test_index, getattr(runner, 'visualizer', None))
