"""The audio-query transformer head of TransAVS (paper eq. 1-8, 14-15)."""
import math
import warnings
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from torch import Tensor
from torch.utils.checkpoint import checkpoint

from ..layers import AudioQueryEncoder, AudioVisualDecoderLayer, SinePositionalEncoding2D
from ..utils import resample_to_stride

__all__ = ['AudioQueryHead', 'INFERENCE_RULES', 'AQDL_QUERIES']

#: the smallest float32 above 0.5 (``math.nextafter(0.5, 1)`` is a float64 that rounds back
#: to 0.5 in a float32 tensor)
ABOVE_HALF = float(torch.nextafter(torch.tensor(0.5), torch.tensor(1.0)))
INFERENCE_RULES = ('eq14', 'threshold')
#: the queries that ``h`` of eq. 10 projects for AQDL: the decoder's final ones, or the audio
#: queries ``A_q`` of eq. 1-3 that the decoder starts from
AQDL_QUERIES = ('final', 'audio')


@MODELS.register_module()
class AudioQueryHead(BaseModule):
    """Audio queries that find and segment the sounding objects of each frame.

    The head is the network and its inference; targets, matching and losses live in the
    criterion (:class:`AVSCriterion`, built from ``criterion``), which :meth:`loss` calls.

    - Audio queries (eq. 1-3, :class:`AudioQueryEncoder`): per clip from all ``T`` audio
      embeddings and shared by the clip's ``T`` frames (``query_mode='clip'``), or per frame
      from that second's embedding (``query_mode='frame'``).
    - Decoder (eq. 4-6, :class:`AudioVisualDecoderLayer`): ``N_2`` layers; layer ``l``
      (1-based) cross-attends to ``f_v^i`` with ``i = (l mod 3) + 1`` (eq. 4), i.e. the
      scales in the order ``f^2, f^3, f^1, f^2, ...``.
    - Masks (eq. 7): ``sigmoid(F_av W_2 f_v^4)``, computed at the mask-feature stride and
      upsampled bilinearly (equal to eq. 7 with ``f_v^4`` the bilinear upsampling of
      ``f_v^3``). Classes (eq. 8): ``softmax(g(F_av))`` over the ``K = num_classes`` real
      classes (class 0 = background; S4/MS3: 1 = sounding) and the "no object" class (last).
    - ``h`` of eq. 10: a learnable ``d x d`` projection of the queries for AQDL: the final
      (normalised) decoder queries ``q_i`` (``aqdl_queries='final'``, the default: the
      queries whose confidence selects ``S_1``), or the audio queries ``A_q`` of eq. 1-3
      (``'audio'``: the paper pairs M and P "with audio queries A_q"; in clip mode they are
      the same for every frame of a clip).
    - Inference (eq. 14-15): see :meth:`predict_by_feat`.

    Args:
        in_channels (int): width of the pixel decoder's outputs.
        embed_dims (int): model width ``d``. Defaults to 256.
        num_queries (int): ``N``. Defaults to 300.
        clip_seconds (int): ``T``, seconds of audio per clip (one VGGish embedding each;
            AVSBench: one frame per second). Defaults to 5.
        query_mode (str): ``'clip'`` or ``'frame'``. Defaults to ``'clip'``.
        audio_dims (int): audio embedding width. Defaults to 128 (VGGish).
        num_encoder_layers (int): ``N_1``. Defaults to 2.
        num_decoder_layers (int): ``N_2``. Defaults to 9.
        num_heads (int): attention heads. Defaults to 8.
        feedforward_channels (int): decoder FFN width. Defaults to 2048.
        dropout (float): attention/FFN dropout. Defaults to 0.
        num_levels (int): visual scales attended in round robin. Defaults to 3.
        num_classes (int): ``K`` real classes, background (0) included. Defaults to 2
            (S4/MS3: background, sounding).
        aux_mask_stride (int): stride of the masks of intermediate (deep-supervision)
            layers; the final layer's masks use the pixel decoder's finest stride.
            Defaults to 4.
        deep_supervision (bool): supervise every decoder layer. Defaults to True.
        with_cp (bool): activation checkpointing of the decoder layers during training
            (less memory, one more forward). Defaults to False.
        cls_prior_prob (float): initial probability of each real class (bias
            initialisation, as for focal losses). Defaults to 0.01.
        aqdl_queries (str): ``'final'`` or ``'audio'``, the queries AQDL separates (see
            above). Defaults to ``'final'``.
        criterion (dict): the criterion config (:class:`AVSCriterion`, required); its
            ``num_classes`` defaults to the head's.
        train_cfg (dict, optional): the criterion's ``train_cfg`` (points, assigner).
        test_cfg (dict, optional): ``inference`` (``'eq14'`` or ``'threshold'``, see
            :meth:`predict_by_feat`) and ``frame_chunk`` (frames upsampled at once; 0 or
            less: all).
        init_cfg (dict, optional): initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 embed_dims: int = 256,
                 num_queries: int = 300,
                 clip_seconds: int = 5,
                 query_mode: str = 'clip',
                 audio_dims: int = 128,
                 num_encoder_layers: int = 2,
                 num_decoder_layers: int = 9,
                 num_heads: int = 8,
                 feedforward_channels: int = 2048,
                 dropout: float = 0.0,
                 num_levels: int = 3,
                 num_classes: int = 2,
                 aux_mask_stride: int = 4,
                 deep_supervision: bool = True,
                 with_cp: bool = False,
                 cls_prior_prob: float = 0.01,
                 aqdl_queries: str = 'final',
                 criterion: Optional[dict] = None,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if query_mode not in ('clip', 'frame'):
            raise ValueError(f"AudioQueryHead: query_mode must be 'clip' or 'frame', "
                             f'got {query_mode!r}')
        if num_classes < 2:
            raise ValueError(f'AudioQueryHead: num_classes counts the background class too '
                             f'(S4/MS3: 2), got {num_classes}')
        if not 0 < cls_prior_prob * num_classes < 1:
            raise ValueError(f'AudioQueryHead: cls_prior_prob x num_classes must lie in '
                             f'(0, 1), got {cls_prior_prob} x {num_classes}')
        if aqdl_queries not in AQDL_QUERIES:
            raise ValueError(f'AudioQueryHead: aqdl_queries must be one of {AQDL_QUERIES}, '
                             f'got {aqdl_queries!r}')
        self.aqdl_queries = aqdl_queries
        self.embed_dims = embed_dims
        self.num_queries = num_queries
        self.clip_seconds = clip_seconds
        self.query_mode = query_mode
        self.num_levels = num_levels
        self.num_classes = num_classes
        self.aux_mask_stride = aux_mask_stride
        self.deep_supervision = deep_supervision
        self.with_cp = with_cp
        self.cls_prior_prob = cls_prior_prob

        self.query_encoder = AudioQueryEncoder(
            num_queries=num_queries,
            num_audio_tokens=clip_seconds if query_mode == 'clip' else 1,
            audio_dims=audio_dims,
            embed_dims=embed_dims,
            num_layers=num_encoder_layers,
            num_heads=num_heads,
            dropout=dropout)
        self.query_pos = nn.Embedding(num_queries, embed_dims)
        self.input_projs = nn.ModuleList(
            nn.Conv2d(in_channels, embed_dims, 1) if in_channels != embed_dims else
            nn.Identity() for _ in range(num_levels))
        self.level_embed = nn.Embedding(num_levels, embed_dims)
        self.pos_encoding = SinePositionalEncoding2D(embed_dims // 2)
        self.layers = nn.ModuleList(
            AudioVisualDecoderLayer(embed_dims, num_heads, feedforward_channels, dropout)
            for _ in range(num_decoder_layers))
        self.decoder_norm = nn.LayerNorm(embed_dims)
        self.cls_embed = nn.Linear(embed_dims, num_classes + 1)  # g of eq. 8
        self.mask_proj = nn.Conv2d(in_channels, embed_dims, 1)  # W_2 of eq. 7
        self.aqdl_proj = nn.Linear(embed_dims, embed_dims)  # h of eq. 10

        if criterion is None:
            raise ValueError("AudioQueryHead needs criterion=dict(type='AVSCriterion', ...) "
                             '(see configs/_base_/models/transavs_r50.py)')
        criterion = dict(criterion)
        criterion.setdefault('num_classes', num_classes)
        if criterion['num_classes'] != num_classes:
            raise ValueError(f'AudioQueryHead: criterion.num_classes '
                             f'({criterion["num_classes"]}) differs from the head\'s '
                             f'({num_classes})')
        criterion.setdefault('train_cfg', train_cfg)  # None: inference only
        self.criterion = MODELS.build(criterion)
        self.test_cfg = dict(inference='eq14', frame_chunk=8)
        self.test_cfg.update(test_cfg or {})
        if self.test_cfg['inference'] not in INFERENCE_RULES:
            raise ValueError(f'AudioQueryHead: test_cfg.inference must be one of '
                             f'{INFERENCE_RULES}, got {self.test_cfg["inference"]!r}')
        if self.criterion.gt_instances == 'union' and self.test_cfg['inference'] == 'eq14':
            warnings.warn("AudioQueryHead: gt_instances='union' never trains a background "
                          "query, so eq. 14 has no background to compete with; use "
                          "test_cfg.inference='threshold' with it")

    def init_weights(self) -> None:
        super().init_weights()
        if self.init_cfg is None:
            # Focal-loss prior: every real class starts at probability cls_prior_prob for
            # every query (softmax over K real classes + "no object" with bias 0).
            prior = self.cls_prior_prob
            nn.init.zeros_(self.cls_embed.bias)
            with torch.no_grad():
                self.cls_embed.bias[:self.num_classes] = math.log(
                    prior / (1 - self.num_classes * prior))

    def set_confidence_thresholds(self, delta1: float, delta2: float) -> None:
        """Sets delta1 (AQDL) and delta2 (AQML) of the criterion (eq. 18)."""
        self.criterion.set_thresholds(delta1, delta2)

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
            dict: ``cls_logits`` (list of ``[B*T, N, K + 1]``, one per predicting layer, the last
            one final), ``mask_logits`` (list of ``[B*T, N, h, w]``; intermediate ones at
            ``aux_mask_stride``, the final one at the mask-feature stride) and
            ``query_embed`` (``[B*T, N, d]``, the final normalised queries ``q_i``) and
            ``audio_queries`` (``[B*T, N, d]``, ``A_q`` of eq. 1-3, the decoder's input).
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
        audio_queries = query
        tokens, positions = self._flatten_scales(feats)
        query_pos = self.query_pos.weight[None].to(query.dtype)  # [1, N, d]
        mask_embed = self.mask_proj(mask_feat)  # W_2 f_v^3: [F, d, h_m, w_m]
        aux_embed = resample_to_stride(mask_embed, input_shape,
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
            query_embed=self.decoder_norm(query),
            audio_queries=audio_queries)

    # -------------------------------------------------------------------------------- loss
    def loss(self,
             feats: Sequence[Tensor],
             mask_feat: Tensor,
             audio_feat: Tensor,
             gt_sem_seg: Tensor,
             gt_valid: Tensor,
             instance_map: Optional[Tensor] = None,
             instance_labels: Optional[Tensor] = None,
             frame_padded: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """Forward and the criterion's losses (eq. 13).

        Args:
            feats, mask_feat, audio_feat: as in :meth:`forward`.
            gt_sem_seg (Tensor): ``[B*T, H, W]`` labels at the input size (0 = background).
            gt_valid (Tensor): ``[B*T]`` bool, annotated frames.
            instance_map, instance_labels (Tensor, optional): ``[B*T, H, W]`` and
                ``[B*T, M]``, the data pipeline's instances (``ClipInstanceTargets``).
            frame_padded (Tensor, optional): ``[B*T]`` bool, padding frames (kept out of
                AQDL / AQML).

        Returns:
            dict[str, Tensor]: the loss terms (intermediate layers prefixed ``d{i}.``) and
            the logged sizes of the AQDL/AQML query sets.
        """
        outs = self.forward(feats, mask_feat, audio_feat, tuple(gt_sem_seg.shape[-2:]),
                            with_aux=self.deep_supervision)
        return self.loss_by_feat(outs, gt_sem_seg, gt_valid, instance_map, instance_labels,
                                 frame_padded)

    def loss_by_feat(self,
                     outs: Dict[str, object],
                     gt_sem_seg: Tensor,
                     gt_valid: Tensor,
                     instance_map: Optional[Tensor] = None,
                     instance_labels: Optional[Tensor] = None,
                     frame_padded: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """The criterion's losses from :meth:`forward`'s outputs; see :meth:`loss`."""
        outs = dict(outs)
        if self.criterion.loss_aqdl is not None:
            queries = outs['query_embed' if self.aqdl_queries == 'final' else 'audio_queries']
            outs['aqdl_embed'] = self.aqdl_proj(queries)  # h(q) of eq. 10: [F, N, d]
        return self.criterion(outs, gt_sem_seg, gt_valid, instance_map, instance_labels,
                              frame_padded)

    # --------------------------------------------------------------------------- inference
    def predict(self,
                feats: Sequence[Tensor],
                mask_feat: Tensor,
                audio_feat: Tensor,
                input_shape: Tuple[int, int],
                frame_seconds: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
        """Forward and inference; see :meth:`predict_by_feat`."""
        outs = self.forward(feats, mask_feat, audio_feat, input_shape, with_aux=False,
                            frame_seconds=frame_seconds)
        return self.predict_by_feat(outs['cls_logits'][-1], outs['mask_logits'][-1],
                                    input_shape)

    def predict_by_feat(self, cls_logits: Tensor, mask_logits: Tensor,
                        out_shape: Tuple[int, int]) -> Tuple[Tensor, Tensor]:
        """Inference of eq. 14-15.

        Each query takes its most probable real class ``c_i = argmax_{c < K} p_i(c)``
        (eq. 15, "no object" excluded) with score ``p_i(c_i)`` (eq. 8's softmax, which the
        "no object" probability lowers). ``test_cfg.inference`` picks the pixel rule:

        - ``'eq14'`` (default, the paper's): each pixel goes to the query maximising
          ``p_i(c_i) m_i(x, y)`` and takes its class ``c_i``. The foreground (sounding)
          probability is ``s_fg / (s_fg + s_bg)``, ``s_fg`` (``s_bg``) the best score among
          queries of a sounding (the background) class; it is above 0.5 exactly where the
          winning query's class is not background.
        - ``'threshold'``: background does not compete; a pixel takes the class of its best
          sounding-class query when that score exceeds 0.5, and ``s_fg`` is the probability
          (MaskFormer's filtering; the inference of the ``'union'`` targets, where no query
          learns the background).

        Args:
            cls_logits (Tensor): ``[F, N, K + 1]``.
            mask_logits (Tensor): ``[F, N, h, w]``.
            out_shape (tuple[int, int]): output size ``(H, W)``.

        Returns:
            tuple[Tensor, Tensor]: ``[F, H, W]`` float32 foreground probability and
            ``[F, H, W]`` long class map (0 = background).
        """
        rule = self.test_cfg.get('inference', 'eq14')
        if rule not in INFERENCE_RULES:
            raise ValueError(f'test_cfg.inference must be one of {INFERENCE_RULES}, got '
                             f'{rule!r}')
        probs = cls_logits.float().softmax(-1)  # eq. 8
        score, label = probs[..., :self.num_classes].max(-1)  # eq. 15: p_i(c_i), c_i; [F, N]
        sounding = label != 0  # [F, N]
        # Scores split by the queries' classes before the per-pixel work: a query outside a
        # set scores 0, which no pixel's maximum of the set can lose to (scores and masks are
        # >= 0, and a set without queries has maximum 0, as eq. 14 reads it). Two multiplies
        # of [f, N, H, W] instead of one and two masked fills.
        fg_score = score * sounding  # [F, N]
        bg_score = score - fg_score  # [F, N]: exact (score - score = 0, score - 0 = score)
        # Binary heads: every sounding query has class 1, so the class map is the foreground
        # and the winning query is not needed (no arg-max over N at full resolution).
        binary = self.num_classes == 2
        chunk = int(self.test_cfg.get('frame_chunk', 8))
        # frame_chunk <= 0: all frames at once, without a loop over the frame count (the ONNX
        # export keeps that count dynamic; a Python loop over it would fix it)
        slices = [slice(None)] if chunk <= 0 else [
            slice(start, start + chunk) for start in range(0, mask_logits.shape[0], chunk)]
        fg_probs, class_maps = [], []
        for sl in slices:
            masks = F.interpolate(mask_logits[sl].float(), size=out_shape,
                                  mode='bilinear', align_corners=False).sigmoid()
            # eq. 14 scores of the sounding queries: [f, N, H, W]
            fg_weighted = fg_score[sl, :, None, None] * masks
            if binary:
                s_fg, fg_winner = fg_weighted.amax(1), None  # best sounding query: [f, H, W]
            else:
                s_fg, fg_winner = fg_weighted.max(1)
            if rule == 'threshold':
                is_fg = s_fg > 0.5
                prob = s_fg
            else:
                s_bg = (bg_score[sl, :, None, None] * masks).amax(1)  # [f, H, W]
                is_fg = s_fg > s_bg  # eq. 14: the winner has a sounding class
                total = s_fg + s_bg
                prob = torch.where(total > 0, s_fg / total.clamp(min=1e-12),
                                   torch.zeros_like(total))
                # Rounding must not move the probability across 0.5 against eq. 14.
                prob = torch.where(is_fg, prob.clamp(min=ABOVE_HALF), prob.clamp(max=0.5))
            if binary:
                class_maps.append(is_fg.long())
            else:
                winner_class = label[sl].gather(1, fg_winner.flatten(1)).view_as(fg_winner)
                class_maps.append(torch.where(is_fg, winner_class, torch.zeros_like(winner_class)))
            fg_probs.append(prob)
        return torch.cat(fg_probs), torch.cat(class_maps)
