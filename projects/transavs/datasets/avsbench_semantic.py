"""AVSBench-semantic (AVSS): the 71-class release, read unchanged
(layout: docs/en/user_guides/1_dataset_prepare.md)."""
import csv
import os
import os.path as osp
from collections import Counter
from typing import Callable, Dict, List, Sequence, Union

from mmengine.dataset import BaseDataset
from mmengine.logging import print_log
from mmseg.registry import DATASETS

from . import avsbench_semantic_layout as layout
from .loading_tracker import LoadingTrackerMixin
from .semantic_palette import bit_palette, read_label_index

__all__ = ['AVSBenchSemanticDataset']


@DATASETS.register_module()
class AVSBenchSemanticDataset(LoadingTrackerMixin, BaseDataset):
    """AVSBench-semantic: ``v1s`` (S4 videos), ``v1m`` (MS3) and ``v2`` clips with 71 classes.

    Reads the official release as it is (layout: :mod:`.avsbench_semantic_layout`):
    ``metadata.csv`` (columns found by name: ``uid``, ``split`` and ``label`` are required,
    ``vid`` and ``a_obj`` kept when present), ``label2idx.json`` (class ``j`` = the ``j``-th
    name, background first), frames ``{label}/{uid}/frames/{i}.jpg``, palette labels
    ``labels_rgb/{i}.png`` and ``audio.wav``. The clip rules of the official loader
    (``avss/color_dataloader.py``):

    - v2 clips have 10 frames (and seconds of audio), all annotated; v1 clips have 5, all
      annotated except v1s training clips (frame 0 only).
    - ``pad_v1=True`` (official): v1 clips are padded to 10 frames; the padded frames have no
      file (``frame_paths[i]`` None, filled by ``LoadClipFrames(pad_value=...)``), no label
      (class 0 everywhere, ``gt_valid`` False) and ``frame_padded`` True; the audio is
      zero-padded to 10 s by the pipeline (``WaveformToLogMel(pad_mode='zeros')``). The
      official test loop evaluates the padded frames too (``AVSSMetric(evaluate_padded=True)``).
      ``pad_v1=False`` keeps v1 clips at their native 5 frames (a batch must then hold clips
      of one length: use ``subsets`` of one length, or one clip per batch).

    One data info per clip, in CSV order: ``video_name`` (the ``uid``), ``vid``, ``category``
    (``a_obj``), ``sounding_categories`` (``a_obj`` split at ``'_'``, None without it),
    ``subset`` (the ``label``), ``split``, ``num_frames`` and ``clip_seconds``
    (``T``), ``num_classes`` (``K``), ``frame_paths`` (``[T]``, None where padded),
    ``frame_padded``, ``gt_valid`` (``[T]`` bool), ``mask_paths`` (``[T]``, None where
    unlabelled), ``mask_rel_paths`` (``{label}/{uid}/labels_rgb/{i}.png`` relative to
    ``data_root``: where ``AVSSMetric(output_dir=...)`` writes predictions), ``audio_path``
    and ``sample_idx``. ``metainfo`` holds ``classes`` (from ``label2idx.json``), ``palette``
    (``bit_palette(K)``) and ``task='semantic'``.

    Args:
        data_root (str): The release root (the folder of ``metadata.csv``).
        split (str): 'train', 'val' or 'test'.
        subsets (Sequence[str]): Labels to read among 'v1s', 'v1m', 'v2'. Defaults to all
            three (the AVSS benchmark).
        pipeline (list[dict | callable]): The clip transforms. Defaults to ``[]``.
        pad_v1 (bool): Pad v1 clips to 10 frames as the official loader. Defaults to True.
        ann_file (str): The meta CSV, relative to ``data_root``. Defaults to
            ``'metadata.csv'``.
        label_index (str): The class index, relative to ``data_root``. Defaults to
            ``'label2idx.json'``.
        check_files (bool): At initialisation, list each clip's ``frames`` and
            ``labels_rgb`` folders and report in one error every clip whose frame count is
            not its subset's, every missing frame, label or wav. Costs two directory listings
            per clip. Defaults to True.
        **kwargs: :class:`~mmengine.dataset.BaseDataset` arguments (``metainfo`` may not
            contradict ``label2idx.json``).
    """

    METAINFO: dict = dict(task='semantic')

    def __init__(self,
                 data_root: str,
                 split: str,
                 subsets: Sequence[str] = layout.SEMANTIC_SUBSETS,
                 pipeline: Sequence[Union[dict, Callable]] = (),
                 pad_v1: bool = True,
                 ann_file: str = layout.META_CSV,
                 label_index: str = layout.LABEL_INDEX,
                 check_files: bool = True,
                 **kwargs) -> None:
        name = type(self).__name__
        if split not in layout.SEMANTIC_SPLITS:
            raise ValueError(f'{name}: unknown split {split!r}; expected one of '
                             f'{layout.SEMANTIC_SPLITS}')
        subsets = (subsets, ) if isinstance(subsets, str) else tuple(subsets)
        unknown = [s for s in subsets if s not in layout.SEMANTIC_SUBSETS]
        if unknown or not subsets:
            raise ValueError(f'{name}: unknown subsets {unknown or list(subsets)}; expected a '
                             f'non-empty selection of {layout.SEMANTIC_SUBSETS}')
        self.split = split
        self.subsets = subsets
        self.pad_v1 = bool(pad_v1)
        self.check_files = bool(check_files)
        index_path = label_index if osp.isabs(label_index) else osp.join(data_root, label_index)
        classes = read_label_index(index_path)
        if len(classes) > 255:
            raise ValueError(f'{name}: {index_path} holds {len(classes)} classes; at most 255 '
                             'fit the uint8 labels (255 = ignore)')
        self.label_index = index_path
        metainfo = dict(kwargs.pop('metainfo', None) or {})
        if 'classes' in metainfo and tuple(metainfo['classes']) != classes:
            raise ValueError(f'{name}: metainfo classes differ from {index_path}; the label '
                             'index gives the classes (remove metainfo.classes)')
        metainfo.update(classes=classes, palette=bit_palette(len(classes)).tolist())
        super().__init__(ann_file=ann_file, data_root=data_root, pipeline=list(pipeline),
                         metainfo=metainfo, **kwargs)

    # ------------------------------------------------------------------ meta CSV
    def _read_meta_csv(self) -> List[Dict[str, str]]:
        """The rows of this split and subsets, in CSV order; the whole CSV is validated."""
        name, path = type(self).__name__, self.ann_file
        if not osp.isfile(path):
            raise FileNotFoundError(f'{name}: meta CSV not found: {path} (expected the '
                                    f'AVSBench-semantic metadata.csv under data_root='
                                    f'{self.data_root!r})')
        with open(path, newline='', encoding='utf-8') as f:
            reader = csv.DictReader(f)
            header = [h.strip() for h in reader.fieldnames or []]
            rows = [{(k or '').strip(): (v or '').strip() for k, v in row.items()}
                    for row in reader]
        missing = [c for c in ('uid', 'split', 'label') if c not in header]
        if missing:
            raise KeyError(f'{name}: meta CSV {path} has no column(s) {missing}; expected '
                           f'columns {list(layout.META_COLUMNS)} by name, got header {header}')
        seen: Dict[tuple, int] = {}
        selected = []
        for line_no, row in enumerate(rows, start=2):
            if not any(row.values()):
                continue
            uid, label, split = row['uid'], row['label'], row['split']
            if not uid:
                raise ValueError(f'{name}: meta CSV {path} line {line_no} has an empty uid')
            if label not in layout.SEMANTIC_SUBSETS:
                raise ValueError(f'{name}: meta CSV {path} line {line_no} (uid {uid}) has label '
                                 f'{label!r}; expected one of {layout.SEMANTIC_SUBSETS}')
            if split not in layout.SEMANTIC_SPLITS:
                raise ValueError(f'{name}: meta CSV {path} line {line_no} (uid {uid}) has split '
                                 f'{split!r}; expected one of {layout.SEMANTIC_SPLITS}')
            key = (label, uid)
            if key in seen:
                raise ValueError(f'{name}: meta CSV {path} lines {seen[key]} and {line_no} are '
                                 f'the same clip {label}/{uid}; every clip must appear once')
            seen[key] = line_no
            if split == self.split and label in self.subsets:
                selected.append(row)
        if not selected:
            raise ValueError(f'{name}: meta CSV {path} has no clip of split {self.split!r} in '
                             f'subsets {list(self.subsets)}')
        return selected

    # ------------------------------------------------------------------ data list
    def _clip_info(self, row: Dict[str, str]) -> dict:
        """The data info of one clip (paths from the layout module)."""
        root, subset, uid = self.data_root, row['label'], row['uid']
        real = layout.SUBSET_FRAMES[subset]
        num_frames = layout.clip_frames(subset, self.pad_v1)
        annotated = layout.annotated_frames(subset, self.split)
        frame_paths, mask_paths, mask_rel_paths, gt_valid, padded = [], [], [], [], []
        for i in range(num_frames):
            is_real = i < real
            labelled = is_real and annotated[i]
            padded.append(not is_real)
            gt_valid.append(labelled)
            frame_paths.append(layout.frame_path(root, subset, uid, i) if is_real else None)
            mask_paths.append(layout.label_path(root, subset, uid, i) if labelled else None)
            mask_rel_paths.append(layout.label_rel_path(subset, uid, i) if labelled else None)
        return dict(
            video_name=uid,
            vid=row.get('vid'),
            category=row.get('a_obj'),
            # the off-screen negative audio compares these (class names hold no '_')
            sounding_categories=([c for c in row['a_obj'].split('_') if c]
                                 if row.get('a_obj') else None),
            subset=subset,
            split=self.split,
            num_frames=num_frames,
            clip_seconds=num_frames,  # one frame per second; v1 audio is padded to it
            num_classes=len(self.metainfo['classes']),
            frame_paths=frame_paths,
            frame_padded=padded,
            gt_valid=gt_valid,
            mask_paths=mask_paths,
            mask_rel_paths=mask_rel_paths,
            audio_path=layout.audio_path(root, subset, uid))

    def load_data_list(self) -> List[dict]:
        """One data info per clip of the split and subsets, in meta-CSV order."""
        data_list = [self._clip_info(row) for row in self._read_meta_csv()]
        for idx, info in enumerate(data_list):
            info['sample_idx'] = idx
        if self.check_files:
            self._check_clip_files(data_list)
        counts = Counter(info['subset'] for info in data_list)
        print_log(f'{type(self).__name__} ({self.split}, {self.data_root}): {len(data_list)} '
                  f'clips (' + ', '.join(f'{s} {counts[s]}' for s in self.subsets) + ')',
                  logger='current')
        return data_list

    def _check_clip_files(self, data_list: List[dict]) -> None:
        """Raises one error listing every clip with a wrong frame count or missing files."""
        problems = []
        for info in data_list:
            subset, uid = info['subset'], info['video_name']
            real = layout.SUBSET_FRAMES[subset]
            frame_dir = osp.dirname(layout.frame_path(self.data_root, subset, uid, 0))
            try:
                jpgs = [f for f in os.listdir(frame_dir) if f.lower().endswith('.jpg')]
            except FileNotFoundError:
                problems.append(f'{frame_dir}: missing (expected {real} frames 0..{real - 1}.jpg)')
                continue
            if len(jpgs) != real:
                problems.append(f'{frame_dir}: {len(jpgs)} .jpg frame(s); a {subset} clip has '
                                f'{real} (0..{real - 1}.jpg)')
            present = set(jpgs)
            problems.extend(f'{p}: missing frame' for p in info['frame_paths']
                            if p is not None and osp.basename(p) not in present)
            labelled = [p for p in info['mask_paths'] if p is not None]
            label_dir = osp.dirname(labelled[0]) if labelled else None
            pngs = set(os.listdir(label_dir)) if label_dir and osp.isdir(label_dir) else set()
            problems.extend(f'{p}: missing label' for p in labelled
                            if osp.basename(p) not in pngs)
            if not osp.isfile(info['audio_path']):
                problems.append(f'{info["audio_path"]}: missing audio')
        if problems:
            lines = '\n  '.join(problems[:50])
            more = f'\n  ... and {len(problems) - 50} more' if len(problems) > 50 else ''
            raise FileNotFoundError(
                f'{type(self).__name__} ({self.split}, data_root={self.data_root!r}): '
                f'{len(problems)} problem(s) among the {len(data_list)} clips of '
                f'{self.ann_file} (set check_files=False to skip this check):\n  '
                f'{lines}{more}')
