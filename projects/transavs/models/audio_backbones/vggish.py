"""VGGish audio backbone (Hershey et al., 2017), compatible with torchvggish checkpoints."""
from typing import Optional, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from torch import Tensor

from ...engine.safe_checkpoint import load_checkpoint_file

__all__ = ['VGGish']

#: Architectures: conv widths ('M' = 2x2 max pooling) and fully connected widths.
#: 'vggish' is the released network; 'tiny' keeps its shape at 1/8 of the widths for CPU
#: tests and the demo (it cannot load torchvggish checkpoints).
ARCHS = {
    'vggish': dict(convs=(64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M'),
                   fcs=(4096, 4096, 128)),
    'tiny': dict(convs=(8, 'M', 16, 'M', 32, 32, 'M', 64, 64, 'M'), fcs=(128, 128, 128)),
}
#: Post-processing (PCA + 8-bit quantisation) range of the released embeddings.
QUANTIZE_MIN_VAL, QUANTIZE_MAX_VAL = -2.0, 2.0


@MODELS.register_module()
class VGGish(BaseModule):
    """The VGGish network: log-mel examples ``[n, 1, 96, 64]`` -> embeddings ``[n, 128]``.

    VGG (64-M-128-M-256-256-M-512-512-M) followed by fully connected layers
    12288-4096-4096-128, each followed by a ReLU (the last one too). Module names equal
    those of torchvggish, so ``vggish-10086976.pth`` loads as it is (keys ``features.*`` and
    ``embeddings.*``) through ``init_cfg=dict(type='Pretrained', checkpoint=...)``.

    Args:
        arch (str | dict): ``'vggish'`` (the released network), ``'tiny'`` (same shape, 1/8
            widths, for CPU tests and the demo) or a dict with ``convs`` and ``fcs``.
            Defaults to ``'vggish'``.
        frozen (bool): keep the network in eval mode without gradients (AVSBench and the
            paper use a fixed pretrained VGGish). Defaults to True.
        postprocess (bool): apply torchvggish's PCA whitening + 8-bit quantisation (as the
            released AudioSet embeddings); AVSBench does not. Defaults to False.
        pca_checkpoint (str, optional): ``vggish_pca_params-970ea276.pth`` (keys
            ``pca_eigen_vectors`` ``[128, 128]`` and ``pca_means`` ``[128]``); needed when
            ``postprocess`` (a missing file is an error). Loaded with restricted unpickling.
        init_cfg (dict, optional): e.g. ``dict(type='Pretrained', checkpoint=PATH_OR_URL)``.
    """

    def __init__(self,
                 arch: Union[str, dict] = 'vggish',
                 frozen: bool = True,
                 postprocess: bool = False,
                 pca_checkpoint: Optional[str] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if isinstance(arch, str):
            if arch not in ARCHS:
                raise KeyError(f'VGGish: unknown arch {arch!r}; expected one of '
                               f'{sorted(ARCHS)} or a dict(convs=..., fcs=...)')
            arch = ARCHS[arch]
        layers, in_channels = [], 1
        for v in arch['convs']:
            if v == 'M':
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            else:
                layers += [nn.Conv2d(in_channels, v, 3, padding=1), nn.ReLU(inplace=True)]
                in_channels = v
        self.features = nn.Sequential(*layers)
        fcs, width = [], in_channels * 4 * 6  # [n, C, 6, 4] flattened
        for out in arch['fcs']:
            fcs += [nn.Linear(width, out), nn.ReLU(inplace=True)]
            width = out
        self.embeddings = nn.Sequential(*fcs)
        self.embed_dims = width
        self.frozen = frozen
        self.postprocess = postprocess
        self.pca_checkpoint = pca_checkpoint
        if postprocess:
            if pca_checkpoint is None:
                raise ValueError('VGGish: postprocess=True needs pca_checkpoint (torchvggish\'s '
                                 'vggish_pca_params-970ea276.pth)')
            self.register_buffer('pca_eigen_vectors', torch.eye(128))
            self.register_buffer('pca_means', torch.zeros(128, 1))
        if frozen:
            self._freeze()

    def _freeze(self) -> None:
        self.eval()
        for param in self.parameters():
            param.requires_grad = False

    def train(self, mode: bool = True) -> 'VGGish':
        """Keeps a frozen VGGish in eval mode."""
        super().train(mode and not self.frozen)
        return self

    def init_weights(self) -> None:
        """Loads the pretrained checkpoint (if any) and the PCA parameters."""
        super().init_weights()
        if self.postprocess:
            params = load_checkpoint_file(self.pca_checkpoint)
            for key in ('pca_eigen_vectors', 'pca_means'):
                if key not in params:
                    raise KeyError(f'{self.pca_checkpoint}: missing {key!r} (expected '
                                   'torchvggish PCA parameters)')
            self.pca_eigen_vectors.copy_(
                torch.as_tensor(params['pca_eigen_vectors'], dtype=torch.float))
            self.pca_means.copy_(
                torch.as_tensor(params['pca_means'], dtype=torch.float).reshape(-1, 1))
        if self.frozen:
            self._freeze()

    def forward(self, log_mel: Tensor) -> Tensor:
        """Embeds log-mel examples.

        Args:
            log_mel (Tensor): ``[n, 1, 96, 64]`` (frames x mel bands) examples.

        Returns:
            Tensor: ``[n, embed_dims]`` (128) embeddings (quantised to ``[0, 255]`` with
            postprocess).
        """
        if log_mel.dim() != 4 or tuple(log_mel.shape[1:]) != (1, 96, 64):
            raise ValueError('VGGish expects log-mel examples of shape [n, 1, 96, 64], '
                             f'got {tuple(log_mel.shape)}')
        x = self.features(log_mel)  # [n, C, 6, 4] (C = 512 for VGGish)
        # torchvggish flattens channels-last: [n, C, 6, 4] -> [n, 6, 4, C] -> [n, 24 C]
        x = x.permute(0, 2, 3, 1).flatten(1)
        x = self.embeddings(x)  # [n, 128]
        if self.postprocess:
            x = self._pca_quantize(x)
        return x

    def _pca_quantize(self, embeddings: Tensor) -> Tensor:
        """torchvggish's Postprocessor: PCA, clip to [-2, 2], quantise to 0..255."""
        pca = (self.pca_eigen_vectors @ (embeddings.t() - self.pca_means)).t()
        clipped = pca.clamp(QUANTIZE_MIN_VAL, QUANTIZE_MAX_VAL)
        return torch.round((clipped - QUANTIZE_MIN_VAL) *
                           (255.0 / (QUANTIZE_MAX_VAL - QUANTIZE_MIN_VAL)))
