from setuptools import find_packages, setup

package_name = 'rtr_training'

setup(
    name=package_name,
    version='0.1.0',
    packages=find_packages(exclude=['test']),
    data_files=[
        ('share/ament_index/resource_index/packages', ['resource/rtr_training']),
        ('share/rtr_training', ['package.xml']),
    ],
    install_requires=[
        'rtr_core',
        'numpy',
        'torch==2.13.0',
        'tqdm',
        'matplotlib',
        'PyYAML',
        'scipy',
    ],
    extras_require={'lerobot': ['pyarrow', 'pillow'],  # LeRobot datasets (parquet, PNG)
                    'video': ['av'],  # LeRobot cameras stored as video (PyAV's FFmpeg)
                    'test': ['pytest']},  # colcon test runs pytest only with it
    zip_safe=True,
    maintainer='rtr maintainers',
    maintainer_email='maintainers@rtr.dev',
    description='Datasets from rosbag2 recordings; training of the action VAE and policies.',
    license='Apache-2.0',
    python_requires='>=3.10',
    entry_points={},
)
