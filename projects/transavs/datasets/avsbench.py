"""The shared base of the AVSBench v1 datasets: one sample is one clip
(layout: docs/en/user_guides/1_dataset_prepare.md)."""
import csv
import os.path as osp
from collections import Counter
from typing import Callable, Dict, List, Optional, Sequence, Union

from mmengine.dataset import BaseDataset
from mmengine.logging import print_log

from . import avsbench_layout as layout
from .loading_tracker import LoadingTrackerMixin

__all__ = ['AVSBenchDataset']

# The data-info keys whose files ``check_files=True`` verifies; any subset may be given.
_CHECKABLE_KEYS = ('frame_paths', 'mask_paths', 'audio_path', 'log_mel_path',
                   'log_mel_cache_path')
_DEFAULT_CHECKED_KEYS = ('frame_paths', 'mask_paths', 'audio_path', 'log_mel_path')


class AVSBenchDataset(LoadingTrackerMixin, BaseDataset):
    """Base of the AVSBench v1 clip datasets (S4, MS3).

    Reads the subset's meta CSV the way the official AVSBench code does: the video name is
    the FIRST column whatever its header; ``split`` (and for S4 ``category``) are found by
    column name. Every path comes from :mod:`~projects.transavs.datasets.avsbench_layout`.

    One sample is one clip of ``num_frames`` frames. :meth:`load_data_list` gives per clip:

    - ``video_name`` (str), ``category`` (str or None for MS3), ``subset`` ('s4' | 'ms3'),
      ``split`` ('train' | 'val' | 'test'), ``num_frames`` (int, ``T`` frames) and
      ``clip_seconds`` (int, ``T``: AVSBench v1 has one frame per second of audio);
      ``sample_idx`` (int) is set by :meth:`get_data_info` (position in the dataset).
    - ``frame_paths`` (list[str], ``T``).
    - ``mask_paths`` (list[str | None], ``T``): None for unannotated frames (S4 train has
      only frame 1).
    - ``mask_rel_paths`` (list[str | None], ``T``): the mask path relative to the split's mask
      folder (:func:`avsbench_layout.mask_split_dir`); None where unannotated.
    - ``gt_valid`` (list[bool], ``T``): which frames are annotated.
    - ``audio_path`` (str): the wav; ``log_mel_path`` (str): the official log-mel ``.pkl``;
      ``log_mel_cache_path`` (str): our ``.npy`` cache (``tools/extract_log_mel.py``).
    - ``sounding_categories`` (list[str] | None): the categories of the sounding objects
      (S4: ``[category]``; MS3: from ``category_file``, else None), which the off-screen
      negative audio (``OffScreenAudio``) needs.

    Subclasses set ``SUBSET``, ``CATEGORY_COLUMN`` (None when the CSV has no category) and
    ``METAINFO`` (``classes=('background', 'sounding')``, ``palette`` and ``subset``).

    Args:
        data_root (str): The subset's root folder, e.g. ``data/AVSBench/Single-source``.
        split (str): 'train', 'val' or 'test'.
        pipeline (list[dict | callable]): The clip transforms. Defaults to ``[]``.
        num_frames (int): Frames per clip ``T``. Defaults to 5 (AVSBench v1).
        log_mel_cache_root (str, optional): Where ``tools/extract_log_mel.py`` wrote the
            ``.npy`` caches. Defaults to ``data_root``.
        check_files (bool | Sequence[str]): Verify at initialisation that the clips' files
            exist (``os.path.isfile``: existence only, the contents are not decoded) and
            report every missing one in a single ``FileNotFoundError``, so that a missing
            clip stops the run at start rather than hours into training. ``True`` checks the
            frames, the annotated masks, the wavs and the log-mel ``.pkl`` files; a sequence
            picks the data-info keys to check among ``'frame_paths'``, ``'mask_paths'``,
            ``'audio_path'``, ``'log_mel_path'``, ``'log_mel_cache_path'`` (e.g.
            ``['frame_paths', 'mask_paths', 'audio_path']`` for a wav-only tree); False
            skips the check. Measured cost: about 0.08 s for an S4-size train split (3452
            clips, 27 616 files, local disk, warm page cache), on top of 0.3 s to build the
            dataset without it. Defaults to True.
        ann_file (str, optional): The meta CSV; a relative path is taken relative to
            ``data_root``. Defaults to the layout's ``{subset}_meta_data.csv``.
        category_file (str, optional): A CSV of the clips' sounding categories, columns by
            name ``vid`` (the video name) and ``a_obj`` (the categories joined by ``'_'``);
            AVSBench-semantic's ``metadata.csv`` is such a file (with a ``label`` column, only
            its ``v1m`` rows are read for MS3, ``v1s`` for S4). A relative path is taken
            relative to ``data_root``. It sets ``sounding_categories`` (MS3's meta CSV has
            none; S4's CSV category is used otherwise). Every clip of the split must be in it.
            Defaults to None.
        **kwargs: :class:`~mmengine.dataset.BaseDataset` arguments (``metainfo``,
            ``test_mode``, ``lazy_init``, ``serialize_data``, ``indices``, ``max_refetch``,
            ``filter_cfg``).
    """

    SUBSET: str = ''
    CATEGORY_COLUMN: Optional[str] = None
    SPLIT_COLUMN: str = 'split'
    METAINFO: dict = dict(classes=('background', 'sounding'), palette=[[0, 0, 0], [255, 255, 255]])

    def __init__(self,
                 data_root: str,
                 split: str,
                 pipeline: Sequence[Union[dict, Callable]] = (),
                 num_frames: int = 5,
                 log_mel_cache_root: Optional[str] = None,
                 check_files: Union[bool, Sequence[str]] = True,
                 ann_file: Optional[str] = None,
                 category_file: Optional[str] = None,
                 **kwargs) -> None:
        if self.SUBSET not in layout.SUBSETS:
            raise TypeError(f'{type(self).__name__} must set SUBSET to one of {layout.SUBSETS}; '
                            'use AVSBenchS4Dataset or AVSBenchMS3Dataset')
        if split not in layout.SPLITS:
            raise ValueError(f'{type(self).__name__}: unknown split {split!r}; expected one of '
                             f'{layout.SPLITS}')
        if not isinstance(num_frames, int) or num_frames < 1:
            raise ValueError(f'{type(self).__name__}: num_frames must be a positive int, got '
                             f'{num_frames!r}')
        self.split = split
        self.num_frames = num_frames
        self.log_mel_cache_root = data_root if log_mel_cache_root is None else log_mel_cache_root
        self.check_files = self._checked_keys(check_files)
        self.category_file = (None if category_file is None else
                              osp.join(data_root, category_file))
        if ann_file is None:
            # Relative to data_root: BaseDataset joins it.
            ann_file = osp.relpath(layout.meta_csv_path(data_root, self.SUBSET), data_root)
        super().__init__(ann_file=ann_file, data_root=data_root, pipeline=list(pipeline),
                         **kwargs)

    def _checked_keys(self, check_files: Union[bool, Sequence[str]]) -> tuple:
        if check_files is True:
            return _DEFAULT_CHECKED_KEYS
        if not check_files:
            return ()
        if isinstance(check_files, str):
            check_files = (check_files, )
        unknown = [key for key in check_files if key not in _CHECKABLE_KEYS]
        if unknown:
            raise ValueError(f'{type(self).__name__}: check_files got unknown keys {unknown}; '
                             f'expected True/False or a subset of {_CHECKABLE_KEYS}')
        return tuple(check_files)

    # ------------------------------------------------------------------ meta CSV
    def _read_meta_csv(self) -> List[Dict[str, Optional[str]]]:
        """The rows of this split: ``[{'name': ..., 'category': ...}, ...]`` in CSV order.

        The whole CSV is validated, not only this split's rows: every row must have a
        ``split`` among ``'train'``, ``'val'``, ``'test'`` (exact, lower case) and a
        non-empty name (and category for S4), and no video may appear twice (the same name
        for MS3, the same ``(category, name)`` for S4). The clips per split of the whole
        CSV and the clips taken are logged.

        Returns:
            list[dict]: ``name`` (str) and ``category`` (str | None) of each clip taken.

        Raises:
            FileNotFoundError: the CSV does not exist.
            KeyError: a needed column is missing.
            ValueError: an empty CSV, a short row, an empty name or category, an unknown
                split value, a duplicated video (the messages give the CSV path and line
                numbers), or no clip of this split.
        """
        owner, csv_path = type(self).__name__, self.ann_file
        if not osp.isfile(csv_path):
            raise FileNotFoundError(
                f'{owner}: meta CSV not found: {csv_path} (expected the AVSBench '
                f'{self.SUBSET.upper()} meta data under data_root={self.data_root!r})')
        with open(csv_path, newline='', encoding='utf-8') as f:
            reader = csv.reader(f)
            # (line number of the row's last line, cells); blank rows are skipped.
            rows = [(reader.line_num, row) for row in reader
                    if any(cell.strip() for cell in row)]
        if not rows:
            raise ValueError(f'{owner}: meta CSV {csv_path} is empty; expected a header row '
                             'and one row per video')
        header = [cell.strip() for cell in rows[0][1]]
        needed = [self.SPLIT_COLUMN] + ([self.CATEGORY_COLUMN] if self.CATEGORY_COLUMN else [])
        missing = [col for col in needed if col not in header]
        if missing:
            raise KeyError(f'{owner}: meta CSV {csv_path} has no column(s) {missing}; expected '
                           f'the video name first and columns {needed} by name, got header '
                           f'{header}')
        split_col = header.index(self.SPLIT_COLUMN)
        cat_col = header.index(self.CATEGORY_COLUMN) if self.CATEGORY_COLUMN else None
        width = max(split_col, cat_col or 0) + 1

        videos: List[Dict[str, Optional[str]]] = []
        seen: Dict[tuple, int] = {}
        counts = Counter()
        for line_no, row in rows[1:]:
            if len(row) < width:
                raise ValueError(f'{owner}: meta CSV {csv_path} line {line_no} has {len(row)} '
                                 f'columns; expected at least {width} ({header})')
            name = row[0].strip()
            category = row[cat_col].strip() if cat_col is not None else None
            row_split = row[split_col].strip()
            if not name or (cat_col is not None and not category):
                raise ValueError(f'{owner}: meta CSV {csv_path} line {line_no} has an empty '
                                 f'video name or category: {row}')
            if row_split not in layout.SPLITS:
                raise ValueError(f'{owner}: meta CSV {csv_path} line {line_no} (video {name}) '
                                 f'has {self.SPLIT_COLUMN} {row_split!r}; expected one of '
                                 f'{layout.SPLITS} (exact, lower case)')
            key = (category, name)
            if key in seen:
                what = f'{category}/{name}' if category is not None else name
                raise ValueError(f'{owner}: meta CSV {csv_path} lines {seen[key]} and {line_no} '
                                 f'are the same video {what}; every video must appear once '
                                 '(a duplicate would be trained on and evaluated twice)')
            seen[key] = line_no
            counts[row_split] += 1
            if row_split == self.split:
                videos.append(dict(name=name, category=category))
        if not videos:
            raise ValueError(f'{owner}: meta CSV {csv_path} has no video with '
                             f'{self.SPLIT_COLUMN} == {self.split!r}; clips per split: '
                             f'{dict(counts)}')
        print_log(f'{owner} ({self.SUBSET} {self.split}, {self.data_root}): {len(videos)} '
                  f'clips taken; {csv_path} holds ' +
                  ', '.join(f'{s} {counts[s]}' for s in layout.SPLITS),
                  logger='current')
        return videos

    # ------------------------------------------------------------------ data list
    def _clip_info(self, name: str, category: Optional[str]) -> dict:
        """The data info of one clip (all paths from the layout module)."""
        root, subset, split, t = self.data_root, self.SUBSET, self.split, self.num_frames
        gt_valid = layout.annotated_frames(subset, split, t)
        mask_dir = layout.mask_split_dir(root, subset, split)
        frame_paths, mask_paths, mask_rel_paths = [], [], []
        for i, valid in enumerate(gt_valid, start=1):
            frame_paths.append(layout.frame_path(root, subset, split, name, category, i))
            mask = layout.mask_path(root, subset, split, name, category, i) if valid else None
            mask_paths.append(mask)
            mask_rel_paths.append(osp.relpath(mask, mask_dir) if mask else None)
        return dict(
            video_name=name,
            category=category,
            subset=subset,
            split=split,
            num_frames=t,
            clip_seconds=t,  # one frame per second
            frame_paths=frame_paths,
            mask_paths=mask_paths,
            mask_rel_paths=mask_rel_paths,
            gt_valid=gt_valid,
            audio_path=layout.audio_wav_path(root, subset, split, name, category),
            log_mel_path=layout.log_mel_pkl_path(root, subset, split, name, category),
            log_mel_cache_path=layout.log_mel_npy_path(self.log_mel_cache_root, subset, split,
                                                       name, category))

    def _read_category_file(self, names: Sequence[str]) -> Dict[str, List[str]]:
        """``{video name: sounding categories}`` for ``names`` from ``category_file``.

        Args:
            names (Sequence[str]): The video names of the split's clips.

        Returns:
            dict[str, list[str]]: Each clip's ``a_obj`` split at ``'_'``.

        Raises:
            FileNotFoundError: the file does not exist.
            KeyError: it lacks the ``vid`` or ``a_obj`` column.
            ValueError: a clip of ``names`` is not in it.
        """
        owner, path = type(self).__name__, self.category_file
        if not osp.isfile(path):
            raise FileNotFoundError(f'{owner}: category_file not found: {path}')
        label = {'s4': 'v1s', 'ms3': 'v1m'}[self.SUBSET]
        with open(path, newline='', encoding='utf-8') as f:
            reader = csv.DictReader(f)
            header = [h.strip() for h in reader.fieldnames or []]
            if 'vid' not in header or 'a_obj' not in header:
                raise KeyError(f'{owner}: category_file {path} needs the columns vid and a_obj '
                               f'(as AVSBench-semantic\'s metadata.csv); got {header}')
            has_label = 'label' in header
            found = {}
            for row in reader:
                row = {(k or '').strip(): (v or '').strip() for k, v in row.items()}
                if 'label' in row and row['label'] and row['label'] != label:
                    continue
                categories = [c for c in row['a_obj'].split('_') if c]
                if categories:  # an empty a_obj counts as missing
                    found[row['vid']] = categories
        missing = [n for n in names if n not in found]
        if missing:
            more = f' and {len(missing) - 5} more' if len(missing) > 5 else ''
            rows = f'{label} rows' if has_label else 'rows'
            raise ValueError(f'{owner}: category_file {path} has no {rows} with a non-empty '
                             f'a_obj for {len(missing)} of the {len(names)} {self.split} clips: '
                             f'{missing[:5]}{more}; every clip needs its sounding categories '
                             "(column vid: the video name, a_obj: the categories joined by '_')")
        return {n: found[n] for n in names}

    def load_data_list(self) -> List[dict]:
        """One data info per clip of the split, in meta-CSV order."""
        data_list = [self._clip_info(v['name'], v['category']) for v in self._read_meta_csv()]
        categories = (self._read_category_file([info['video_name'] for info in data_list])
                      if self.category_file else {})
        for idx, info in enumerate(data_list):
            info['sample_idx'] = idx
            if info['video_name'] in categories:
                info['sounding_categories'] = categories[info['video_name']]
            else:
                info['sounding_categories'] = ([info['category']] if info['category']
                                               else None)
        if self.check_files:
            self._check_files_exist(data_list)
        return data_list

    def _check_files_exist(self, data_list: List[dict]) -> None:
        """Raises one error that lists every missing file of the checked kinds."""
        missing = []
        for info in data_list:
            for key in self.check_files:
                paths = info[key] if isinstance(info[key], list) else [info[key]]
                missing.extend(f'{key}: {p}' for p in paths if p is not None and
                               not osp.isfile(p))
        if missing:
            lines = '\n  '.join(missing)
            raise FileNotFoundError(
                f'{type(self).__name__} ({self.SUBSET} {self.split}, data_root='
                f'{self.data_root!r}): {len(missing)} file(s) missing among the '
                f'{len(data_list)} clips of {self.ann_file} (checked {list(self.check_files)}; '
                f'check_files=False skips this check):'
                f'\n  {lines}')
