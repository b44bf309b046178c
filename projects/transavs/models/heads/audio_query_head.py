"""The audio-query transformer head of TransAVS (paper eq. 1-8, 13-15)."""
import math
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.ops import point_sample
from mmengine.dist import all_reduce
from mmengine.model import BaseModule
from mmengine.structures import InstanceData
from mmseg.models.utils import get_uncertain_point_coords_with_randomness
from mmseg.registry import MODELS
from mmseg.utils.mask_classification import MatchMasks
from torch import Tensor
from torch.utils.checkpoint import checkpoint

from ..layers import AudioQueryEncoder, AudioVisualDecoderLayer, SinePositionalEncoding2D
from ..task_modules import match_single_instance

__all__ = ['AudioQueryHead']


@MODELS.register_module()
class AudioQueryHead(BaseModule):
    """Audio queries that find and segment the sounding objects of each frame.

    - Audio queries (eq. 1-3, :class:`AudioQueryEncoder`): per clip from all ``T`` audio
      embeddings and shared by the clip's ``T`` frames (``query_mode='clip'``), or per frame
      from that second's embedding (``query_mode='frame'``).
    - Decoder (eq. 4-6, :class:`AudioVisualDecoderLayer`): ``N_2`` layers; layer ``l``
      (1-based) cross-attends to ``f_v^i`` with ``i = (l mod 3) + 1`` (eq. 4), i.e. the
      scales in the order ``f^2, f^3, f^1, f^2, ...``.
    - Masks (eq. 7): ``sigmoid(F_av W_2 f_v^4)``, computed at the mask-feature stride and
      upsampled bilinearly (equal to eq. 7 with ``f_v^4`` the bilinear upsampling of
      ``f_v^3``). Classes (eq. 8): ``softmax(g(F_av))`` over ``K = num_classes + 1``
      classes, class 0 = "sounding object", the last = "not sounding".
    - Losses (eq. 13): per supervised layer the focal class loss and the dice loss on
      ``num_points`` importance-sampled points after Hungarian matching (mmseg's
      ``MatchMasks`` + ``HungarianAssigner``; a frame's ground-truth instance is its union
      foreground mask, none when empty; frames without annotation are not supervised);
      AQDL (eq. 9-10, on ``h(q)`` with ``h`` a learnable ``d x d`` projection) and AQML
      (eq. 11-12) on the final layer, over all frames.
    - Inference (eq. 14-15): see :meth:`predict_by_feat`.

    Args:
        in_channels (int): width of the pixel decoder's outputs.
        embed_dims (int): model width ``d``. Defaults to 256.
        num_queries (int): ``N``. Defaults to 300.
        num_frames (int): ``T``, frames (and audio seconds) per clip. Defaults to 5.
        query_mode (str): ``'clip'`` or ``'frame'``. Defaults to ``'clip'``.
        audio_dims (int): audio embedding width. Defaults to 128 (VGGish).
        num_encoder_layers (int): ``N_1``. Defaults to 2.
        num_decoder_layers (int): ``N_2``. Defaults to 9.
        num_heads (int): attention heads. Defaults to 8.
        feedforward_channels (int): decoder FFN width. Defaults to 2048.
        dropout (float): attention/FFN dropout. Defaults to 0.
        num_levels (int): visual scales attended in round robin. Defaults to 3.
        num_classes (int): foreground classes (1: "sounding"). Defaults to 1.
        aux_mask_stride (int): stride of the masks of intermediate (deep-supervision)
            layers; the final layer's masks use the pixel decoder's finest stride.
            Defaults to 4.
        aqml_stride (int): stride of the masks that AQML compares. Defaults to 4.
        deep_supervision (bool): supervise every decoder layer. Defaults to True.
        fused_attention (bool): use ``scaled_dot_product_attention``. Defaults to True.
        with_cp (bool): activation checkpointing of the decoder layers during training
            (less memory, one more forward). Defaults to False.
        cls_prior_prob (float): initial probability of "sounding" (bias initialisation,
            as for focal losses). Defaults to 0.01.
        loss_cls, loss_dice, loss_aqdl, loss_aqml (dict): loss configs (eq. 13).
        train_cfg (dict): ``num_points``, ``oversample_ratio``, ``importance_sample_ratio``,
            ``assigner`` and ``batched_matching`` (True: the batched single-instance matcher,
            equal to the assigner's result for frames with at most one instance and free of
            host synchronisation; False: mmseg's per-frame ``MatchMasks``).
        test_cfg (dict): ``competition`` (``'sounding'`` or ``'all'``, see
            :meth:`predict_by_feat`) and ``frame_chunk`` (frames upsampled at once).
        init_cfg (dict, optional): initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 embed_dims: int = 256,
                 num_queries: int = 300,
                 num_frames: int = 5,
                 query_mode: str = 'clip',
                 audio_dims: int = 128,
                 num_encoder_layers: int = 2,
                 num_decoder_layers: int = 9,
                 num_heads: int = 8,
                 feedforward_channels: int = 2048,
                 dropout: float = 0.0,
                 num_levels: int = 3,
                 num_classes: int = 1,
                 aux_mask_stride: int = 4,
                 aqml_stride: int = 4,
                 deep_supervision: bool = True,
                 fused_attention: bool = True,
                 with_cp: bool = False,
                 cls_prior_prob: float = 0.01,
                 loss_cls: dict = dict(
                     type='SoftmaxFocalLoss', gamma=2.0, alpha=0.25, loss_weight=5.0),
                 loss_dice: dict = dict(
                     type='DiceLoss',
                     use_sigmoid=True,
                     activate=True,
                     reduction='mean',
                     naive_dice=True,
                     eps=1.0,
                     ignore_index=None,
                     loss_weight=5.0,
                     loss_name='loss_dice'),
                 loss_aqdl: Optional[dict] = dict(type='AQDLoss', d0=1.0, loss_weight=2.0),
                 loss_aqml: Optional[dict] = dict(type='AQMLoss', loss_weight=2.0),
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if query_mode not in ('clip', 'frame'):
            raise ValueError(f"AudioQueryHead: query_mode must be 'clip' or 'frame', "
                             f'got {query_mode!r}')
        self.embed_dims = embed_dims
        self.num_queries = num_queries
        self.num_frames = num_frames
        self.query_mode = query_mode
        self.num_levels = num_levels
        self.num_classes = num_classes
        self.aux_mask_stride = aux_mask_stride
        self.aqml_stride = aqml_stride
        self.deep_supervision = deep_supervision
        self.with_cp = with_cp
        self.cls_prior_prob = cls_prior_prob

        self.query_encoder = AudioQueryEncoder(
            num_queries=num_queries,
            num_audio_tokens=num_frames if query_mode == 'clip' else 1,
            audio_dims=audio_dims,
            embed_dims=embed_dims,
            num_layers=num_encoder_layers,
            num_heads=num_heads,
            dropout=dropout,
            fused_attention=fused_attention)
        self.query_pos = nn.Embedding(num_queries, embed_dims)
        self.input_projs = nn.ModuleList(
            nn.Conv2d(in_channels, embed_dims, 1) if in_channels != embed_dims else
            nn.Identity() for _ in range(num_levels))
        self.level_embed = nn.Embedding(num_levels, embed_dims)
        self.pos_encoding = SinePositionalEncoding2D(embed_dims // 2)
        self.layers = nn.ModuleList(
            AudioVisualDecoderLayer(embed_dims, num_heads, feedforward_channels, dropout,
                                    fused_attention) for _ in range(num_decoder_layers))
        self.decoder_norm = nn.LayerNorm(embed_dims)
        self.cls_embed = nn.Linear(embed_dims, num_classes + 1)  # g of eq. 8
        self.mask_proj = nn.Conv2d(in_channels, embed_dims, 1)  # W_2 of eq. 7
        self.aqdl_proj = nn.Linear(embed_dims, embed_dims)  # h of eq. 10

        self.loss_cls = MODELS.build(loss_cls)
        self.loss_dice = MODELS.build(loss_dice)
        self.loss_aqdl = MODELS.build(loss_aqdl) if loss_aqdl else None
        self.loss_aqml = MODELS.build(loss_aqml) if loss_aqml else None

        self.train_cfg = dict(
            batched_matching=True,
            num_points=12544,
            oversample_ratio=3.0,
            importance_sample_ratio=0.75,
            assigner=dict(
                type='HungarianAssigner',
                match_costs=[
                    dict(type='ClassificationCost', weight=2.0),
                    dict(type='DiceCost', weight=5.0, pred_act=True, eps=1.0)
                ]))
        self.train_cfg.update(train_cfg or {})
        self.test_cfg = dict(competition='sounding', frame_chunk=8)
        self.test_cfg.update(test_cfg or {})
        self.matcher = MatchMasks(
            num_points=self.train_cfg['num_points'],
            num_queries=num_queries,
            num_classes=num_classes,
            assigner=self.train_cfg['assigner'])

    def init_weights(self) -> None:
        super().init_weights()
        if self.init_cfg is None:
            # Focal-loss prior: p(sounding) = cls_prior_prob for every query at the start.
            nn.init.zeros_(self.cls_embed.bias)
            with torch.no_grad():
                self.cls_embed.bias[:self.num_classes] = math.log(
                    self.cls_prior_prob / (1 - self.cls_prior_prob))

    # ----------------------------------------------------------------------------- forward
    def build_queries(self,
                      audio_feat: Tensor,
                      frames_per_clip: Optional[int] = None,
                      frame_seconds: Optional[Tensor] = None) -> Tensor:
        """Audio queries for every frame.

        Args:
            audio_feat (Tensor): ``[B, T, 128]`` audio embeddings, one per second.
            frames_per_clip (int, optional): frames per clip ``T_f``; defaults to ``T``.
                Clip-mode queries are shared by all frames of their clip, however many.
            frame_seconds (Tensor, optional): ``[B, T_f]`` long, the second (index into
                ``T``) of each frame, for per-frame queries when ``T_f != T`` (e.g. every
                video frame of a window); defaults to frame ``t`` <-> second ``t``.

        Returns:
            Tensor: ``[B*T_f, N, d]``.
        """
        num_clips, num_seconds = audio_feat.shape[:2]
        frames_per_clip = frames_per_clip or num_seconds
        if self.query_mode == 'clip':
            queries = self.query_encoder(audio_feat)  # [B, N, d], from all T embeddings
            # (B, N, d) -> (B*T_f, N, d): the clip's queries are shared by its frames
            return queries.repeat_interleave(frames_per_clip, dim=0)
        if frame_seconds is not None:
            # (B, T, 128) -> (B, T_f, 128): each frame takes the embedding of its second
            audio_feat = audio_feat.gather(
                1, frame_seconds[..., None].expand(-1, -1, audio_feat.shape[-1]))
        elif frames_per_clip != num_seconds:
            raise ValueError(f'per-frame queries for {frames_per_clip} frames from '
                             f'{num_seconds} seconds of audio need frame_seconds')
        # (B, T_f, 128) -> (B*T_f, 1, 128): one query set per frame from its own second
        return self.query_encoder(audio_feat.flatten(0, 1)[:, None])

    def _flatten_scales(self, feats: Sequence[Tensor]) -> Tuple[List[Tensor], List[Tensor]]:
        tokens, positions = [], []
        for level, feat in enumerate(feats):
            x = self.input_projs[level](feat)  # [F, d, h, w]
            h, w = x.shape[-2:]
            pos = self.pos_encoding(h, w, x.device, x.dtype)  # [1, d, h, w]
            tokens.append(x.flatten(2).transpose(1, 2))  # [F, d, h, w] -> [F, h*w, d]
            positions.append(pos.flatten(2).transpose(1, 2) +
                             self.level_embed.weight[level].to(x.dtype))  # [1, h*w, d]
        return tokens, positions

    def forward(self,
                feats: Sequence[Tensor],
                mask_feat: Tensor,
                audio_feat: Tensor,
                input_shape: Tuple[int, int],
                with_aux: bool = False,
                frame_seconds: Optional[Tensor] = None) -> Dict[str, object]:
        """Runs the audio-visual transformer.

        Args:
            feats (Sequence[Tensor]): ``[f_v^1, f_v^2, f_v^3]``, each ``[B*T, C, h_i, w_i]``.
            mask_feat (Tensor): ``[B*T, C, h_m, w_m]`` mask features (``f_v^3``).
            audio_feat (Tensor): ``[B, T, 128]`` audio embeddings.
            input_shape (tuple[int, int]): network input size ``(H, W)``.
            with_aux (bool): also predict after every intermediate layer.
            frame_seconds (Tensor, optional): ``[B, T_f]``, see :meth:`build_queries`.

        Returns:
            dict: ``cls_logits`` (list of ``[B*T, N, K]``, one per predicting layer, the last
            one final), ``mask_logits`` (list of ``[B*T, N, h, w]``; intermediate ones at
            ``aux_mask_stride``, the final one at the mask-feature stride) and
            ``query_embed`` (``[B*T, N, d]``, the final normalised queries ``q_i``).
        """
        if len(feats) != self.num_levels:
            raise ValueError(f'AudioQueryHead expects {self.num_levels} visual scales, '
                             f'got {len(feats)}')
        num_clips = audio_feat.shape[0]
        if feats[0].shape[0] % num_clips != 0:
            raise ValueError(f'{feats[0].shape[0]} frames of visual features for '
                             f'{num_clips} clips')
        frames_per_clip = feats[0].shape[0] // num_clips
        query = self.build_queries(audio_feat, frames_per_clip, frame_seconds)  # [F, N, d]
        tokens, positions = self._flatten_scales(feats)
        query_pos = self.query_pos.weight[None].to(query.dtype)  # [1, N, d]
        mask_embed = self.mask_proj(mask_feat)  # W_2 f_v^3: [F, d, h_m, w_m]
        aux_embed = self._resample_to_stride(mask_embed, input_shape,
                                             self.aux_mask_stride) if with_aux else None

        cls_logits, mask_logits = [], []
        for idx, layer in enumerate(self.layers):
            level = (idx + 1) % self.num_levels  # eq. 4 with l = idx + 1
            if self.with_cp and self.training and torch.is_grad_enabled():
                query = checkpoint(layer, query, tokens[level], query_pos, positions[level],
                                   use_reentrant=False)
            else:
                query = layer(query, tokens[level], query_pos, positions[level])
            last = idx == len(self.layers) - 1
            if last or with_aux:
                normed = self.decoder_norm(query)
                cls_logits.append(self.cls_embed(normed))  # eq. 8 logits
                # eq. 7 logits: [F, N, d] x [F, d, h, w] -> [F, N, h, w]
                mask_logits.append(
                    torch.einsum('fnd,fdhw->fnhw', normed, mask_embed if last else aux_embed))
        return dict(
            cls_logits=cls_logits,
            mask_logits=mask_logits,
            query_embed=self.decoder_norm(query))

    @staticmethod
    def _resample_to_stride(x: Tensor, input_shape: Tuple[int, int], stride: int) -> Tensor:
        """Average-pools (or keeps) ``x`` to ``input_shape / stride``."""
        size = (math.ceil(input_shape[0] / stride), math.ceil(input_shape[1] / stride))
        if tuple(x.shape[-2:]) == size:
            return x
        if x.shape[-2] > size[0]:
            return F.adaptive_avg_pool2d(x, size)
        return F.interpolate(x, size=size, mode='bilinear', align_corners=False)

    # -------------------------------------------------------------------------------- loss
    def loss(self, feats: Sequence[Tensor], mask_feat: Tensor, audio_feat: Tensor,
             gt_masks: Tensor, gt_valid: Tensor) -> Dict[str, Tensor]:
        """Forward and losses.

        Args:
            feats, mask_feat, audio_feat: as in :meth:`forward`.
            gt_masks (Tensor): ``[B*T, H, W]`` binary ground truth at the input size.
            gt_valid (Tensor): ``[B*T]`` bool, annotated frames.

        Returns:
            dict[str, Tensor]: the loss terms of eq. 13 (intermediate layers prefixed
            ``d{i}.``).
        """
        outs = self.forward(feats, mask_feat, audio_feat, tuple(gt_masks.shape[-2:]),
                            with_aux=self.deep_supervision)
        return self.loss_by_feat(outs, gt_masks, gt_valid)

    def loss_by_feat(self, outs: Dict[str, object], gt_masks: Tensor,
                     gt_valid: Tensor) -> Dict[str, Tensor]:
        """Losses from :meth:`forward`'s outputs; see :meth:`loss`."""
        cls_logits: List[Tensor] = outs['cls_logits']
        mask_logits: List[Tensor] = outs['mask_logits']
        batched = self.train_cfg.get('batched_matching', True) and self.num_classes == 1
        if not batched:
            valid_idx = gt_valid.nonzero().squeeze(1)  # supervised frames
            gt_instances = self._frame_instances(gt_masks[valid_idx])

        losses = dict()
        num_layers = len(cls_logits)
        for layer, (cls, masks) in enumerate(zip(cls_logits, mask_logits)):
            prefix = '' if layer == num_layers - 1 else f'd{layer}.'
            if batched:
                loss_cls, loss_dice = self._single_instance_losses(cls, masks, gt_masks,
                                                                   gt_valid)
            else:
                loss_cls, loss_dice = self._supervised_losses(cls[valid_idx],
                                                              masks[valid_idx], gt_instances)
            losses[prefix + self.loss_cls.loss_name] = loss_cls
            losses[prefix + self.loss_dice.loss_name] = loss_dice

        probs = cls_logits[-1].softmax(-1)[..., :self.num_classes].sum(-1)  # [F, N]
        if self.loss_aqdl is not None:  # eq. 9-10 on u = h(q)
            embeds = self.aqdl_proj(outs['query_embed'])  # [F, N, d]
            losses[self.loss_aqdl.loss_name] = self.loss_aqdl(embeds, probs)
        if self.loss_aqml is not None:  # eq. 11-12
            size = gt_masks.shape[-2:]
            masks = self._resample_to_stride(mask_logits[-1], size, self.aqml_stride)
            losses[self.loss_aqml.loss_name] = self.loss_aqml(masks.sigmoid(), probs)
        return losses

    @staticmethod
    def _frame_instances(gt_masks: Tensor) -> List[InstanceData]:
        """Per frame one instance, the union of its sounding objects; none when silent."""
        gt_instances = []
        for frame_mask in gt_masks:
            foreground = frame_mask > 0
            if foreground.any():
                labels = torch.zeros(1, dtype=torch.long, device=gt_masks.device)
                masks = foreground[None].long()
            else:  # annotated but silent frame: every query is "not sounding"
                labels = torch.zeros(0, dtype=torch.long, device=gt_masks.device)
                masks = foreground.new_zeros((0, *foreground.shape)).long()
            gt_instances.append(InstanceData(labels=labels, masks=masks))
        return gt_instances

    def _num_total(self, num_gts: Tensor) -> Tensor:
        """Instances per process, averaged over processes, at least 1 (a tensor)."""
        num_total = num_gts.float().reshape(1)
        all_reduce(num_total, op='mean')
        return num_total.clamp(min=1)[0]

    def _dice_on_points(self, matched: Tensor, targets: Tensor, weight: Tensor,
                        num_total) -> Tensor:
        """Dice loss on importance-sampled points (Mask2Former).

        Args:
            matched (Tensor): ``[M, h, w]`` logits of the matched queries.
            targets (Tensor): ``[M, H, W]`` their binary ground truth.
            weight (Tensor, optional): ``[M]`` per-instance weights.
            num_total: the normaliser (number of instances).
        """
        with torch.no_grad():
            coords = get_uncertain_point_coords_with_randomness(
                matched[:, None].float(), None, self.train_cfg['num_points'],
                self.train_cfg['oversample_ratio'],
                self.train_cfg['importance_sample_ratio'])  # [M, P, 2]
            point_targets = point_sample(targets[:, None].float(), coords).squeeze(1)
        point_preds = point_sample(matched[:, None].float(), coords).squeeze(1)  # [M, P]
        return self.loss_dice(point_preds, point_targets, weight=weight,
                              avg_factor=num_total)

    def _single_instance_losses(self, cls: Tensor, masks: Tensor, gt_masks: Tensor,
                                gt_valid: Tensor) -> Tuple[Tensor, Tensor]:
        """Focal and dice losses of one layer, batched over frames, without host syncs.

        Equal to :meth:`_supervised_losses` (mmseg's matcher) for frames with at most one
        instance: matching is an argmin over queries (:func:`match_single_instance`);
        frames without annotation and frames without an instance enter with zero weights.

        Args:
            cls (Tensor): ``[F, N, K]`` logits of all frames.
            masks (Tensor): ``[F, N, h, w]`` mask logits.
            gt_masks (Tensor): ``[F, H, W]`` ground truth.
            gt_valid (Tensor): ``[F]`` bool, annotated frames.
        """
        num_frames, num_queries = cls.shape[:2]
        frames = torch.arange(num_frames, device=cls.device)
        targets = (gt_masks > 0)  # [F, H, W]
        has_gt = targets.flatten(1).any(1) & gt_valid  # [F]
        coords = torch.rand(num_frames, self.train_cfg['num_points'], 2, device=cls.device)
        with torch.no_grad():
            # queries as channels: [F, N, h, w] at [F, P, 2] -> [F, N, P]
            point_logits = point_sample(masks.float(), coords)
            point_targets = point_sample(targets[:, None].float(), coords)[:, 0]  # [F, P]
        matched_idx = match_single_instance(cls, point_logits, point_targets,
                                            self.train_cfg['assigner']['match_costs'])
        labels = torch.full((num_frames, num_queries), self.num_classes, dtype=torch.long,
                            device=cls.device)
        labels[frames, matched_idx] = torch.where(has_gt, 0, self.num_classes)
        num_total = self._num_total(has_gt.sum())
        weight = gt_valid[:, None].expand(num_frames, num_queries).float()
        loss_cls = self.loss_cls(cls.flatten(0, 1), labels.flatten(), weight=weight.flatten(),
                                 avg_factor=num_total)
        matched = masks[frames, matched_idx]  # [F, h, w]
        loss_dice = self._dice_on_points(matched, targets, has_gt.float(), num_total)
        return loss_cls, loss_dice

    def _supervised_losses(self, cls: Tensor, masks: Tensor,
                           gt_instances: List[InstanceData]) -> Tuple[Tensor, Tensor]:
        """Focal class loss and point-sampled dice loss of one layer (mmseg's matcher).

        Args:
            cls (Tensor): ``[Fv, N, K]`` logits of the supervised frames.
            masks (Tensor): ``[Fv, N, h, w]`` mask logits.
            gt_instances (list[InstanceData]): per supervised frame.

        Returns:
            tuple[Tensor, Tensor]: the weighted class and dice losses.
        """
        if cls.shape[0] == 0:  # nothing annotated in this batch
            zero = cls.sum() * 0 + masks.sum() * 0
            return zero, zero
        labels, mask_targets, mask_weights, num_gts = self.matcher.get_targets(
            cls, masks, gt_instances)
        num_total = self._num_total(cls.new_tensor(num_gts))
        loss_cls = self.loss_cls(cls.flatten(0, 1), labels.flatten(0, 1),
                                 avg_factor=num_total)
        if mask_targets.shape[0] == 0:
            return loss_cls, masks.sum() * 0
        matched = masks[mask_weights > 0]  # [num_gts, h, w]
        return loss_cls, self._dice_on_points(matched, mask_targets, None, num_total)

    # --------------------------------------------------------------------------- inference
    def predict(self,
                feats: Sequence[Tensor],
                mask_feat: Tensor,
                audio_feat: Tensor,
                input_shape: Tuple[int, int],
                frame_seconds: Optional[Tensor] = None) -> Tensor:
        """Forward and inference; returns the ``[B*T, H, W]`` foreground probability."""
        outs = self.forward(feats, mask_feat, audio_feat, input_shape, with_aux=False,
                            frame_seconds=frame_seconds)
        return self.predict_by_feat(outs['cls_logits'][-1], outs['mask_logits'][-1],
                                    input_shape)

    def predict_by_feat(self, cls_logits: Tensor, mask_logits: Tensor,
                        out_shape: Tuple[int, int]) -> Tensor:
        """Inference of eq. 14-15.

        Each query takes its most probable class ``c_i`` (eq. 15) with score ``p_i(c_i)``,
        and each pixel goes to the query maximising ``p_i(c_i) m_i(x, y)`` (eq. 14).
        ``test_cfg.competition`` decides which queries compete:

        - ``'sounding'`` (default): as MaskFormer's inference, queries whose class is the
          "no object" class ("not sounding") are filtered out before the argmax, since
          nothing supervises their masks (only matched queries get mask losses). The
          foreground probability is the winning score ``max_{c_i = sounding} p_i m_i``,
          and a pixel is sounding when it exceeds 0.5.
        - ``'all'``: literally every query competes; the pixel is sounding when the winner is
          a sounding query. The probability is ``s_fg / (s_fg + s_bg)`` with ``s_fg``
          (``s_bg``) the best score among sounding (not-sounding) queries, above 0.5 exactly
          where the winner is sounding.

        Args:
            cls_logits (Tensor): ``[F, N, K]``.
            mask_logits (Tensor): ``[F, N, h, w]``.
            out_shape (tuple[int, int]): output size ``(H, W)``.

        Returns:
            Tensor: ``[F, H, W]`` float32 foreground probability.
        """
        competition = self.test_cfg.get('competition', 'sounding')
        if competition not in ('sounding', 'all'):
            raise ValueError(f"test_cfg.competition must be 'sounding' or 'all', got "
                             f'{competition!r}')
        probs = cls_logits.float().softmax(-1)  # eq. 8
        score, label = probs.max(-1)  # eq. 15: p_i(c_i), c_i; [F, N]
        sounding = (label < self.num_classes)[..., None, None]  # [F, N, 1, 1]
        chunk = max(1, int(self.test_cfg.get('frame_chunk', 8)))
        out = []
        for start in range(0, mask_logits.shape[0], chunk):
            sl = slice(start, start + chunk)
            masks = F.interpolate(mask_logits[sl].float(), size=out_shape,
                                  mode='bilinear', align_corners=False).sigmoid()
            weighted = score[sl, :, None, None] * masks  # eq. 14: [f, N, H, W]
            s_fg = weighted.masked_fill(~sounding[sl], 0).amax(1)  # [f, H, W]
            if competition == 'sounding':
                out.append(s_fg)
                continue
            s_bg = weighted.masked_fill(sounding[sl], 0).amax(1)
            total = s_fg + s_bg
            out.append(torch.where(total > 0, s_fg / total.clamp(min=1e-12),
                                   torch.zeros_like(total)))
        return torch.cat(out)
