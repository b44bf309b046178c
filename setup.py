"""Installs the TransAVS plugin package (``projects.transavs``) for MMSegmentation 1.x."""
from setuptools import find_packages, setup

setup(
    name='transavs',
    version='0.1.0',
    description='TransAVS: end-to-end audio-visual segmentation with a transformer, '
    'as an MMSegmentation 1.x plugin',
    python_requires='>=3.9',
    packages=find_packages(include=['projects', 'projects.*']),
    license='Apache-2.0',
)
