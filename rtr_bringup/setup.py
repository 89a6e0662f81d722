from pathlib import Path

from setuptools import find_packages, setup

package_name = 'rtr_bringup'


def _files(folder):
    """Files directly inside ``folder`` (launch files, YAML configs, URDF)."""
    return sorted(str(p) for p in Path(folder).glob('*') if p.is_file())


setup(
    name=package_name,
    version='0.1.0',
    packages=find_packages(exclude=['test']),
    data_files=[
        ('share/ament_index/resource_index/packages', ['resource/rtr_bringup']),
        ('share/rtr_bringup', ['package.xml']),
        ('share/rtr_bringup/launch', _files('launch')),
        ('share/rtr_bringup/config', _files('config')),
        ('share/rtr_bringup/urdf', _files('urdf')),
    ],
    install_requires=[
        'rtr_core',
        'rtr_sim',
        'rtr_training',
    ],
    extras_require={'test': ['pytest']},  # colcon test runs pytest only with it
    zip_safe=True,
    maintainer='rtr maintainers',
    maintainer_email='maintainers@rtr.dev',
    description='Launch files, configuration, robot description and the rtr command line.',
    license='Apache-2.0',
    python_requires='>=3.10',
    entry_points={'console_scripts': [
        'rtr = rtr_bringup.cli.main:main',
        'rtr_graph = rtr_bringup.graph:main',
    ]},
)
