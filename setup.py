"""Installs the TransAVS plugin package (``projects.transavs``) for MMSegmentation 1.x.

Extras: ``deploy`` (ONNX export and ONNX Runtime inference: ``pip install -e .[deploy]``).
"""
import os.path as osp

from setuptools import find_packages, setup


def requirements(name):
    """The pinned lines of ``requirements/<name>.txt``."""
    with open(osp.join(osp.dirname(osp.abspath(__file__)), 'requirements', f'{name}.txt')) as f:
        return [line.split('#')[0].strip() for line in f if line.split('#')[0].strip()]


setup(
    name='transavs',
    version='0.1.0',
    description='TransAVS: end-to-end audio-visual segmentation with a transformer, '
    'as an MMSegmentation 1.x plugin',
    python_requires='>=3.9',
    packages=find_packages(include=['projects', 'projects.*']),
    extras_require=dict(deploy=requirements('deploy')),
    license='Apache-2.0',
)
