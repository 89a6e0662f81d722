from setuptools import find_packages, setup

package_name = 'rtr_ros'

setup(
    name=package_name,
    version='0.1.0',
    packages=find_packages(exclude=['test']),
    data_files=[
        ('share/ament_index/resource_index/packages', ['resource/rtr_ros']),
        ('share/rtr_ros', ['package.xml']),
    ],
    install_requires=[
        'rtr_core',
        'numpy',
    ],
    extras_require={'test': ['pytest']},  # colcon test runs pytest only with it
    zip_safe=True,
    maintainer='rtr maintainers',
    maintainer_email='maintainers@rtr.dev',
    description='The rclpy glue the rtr nodes share, a rosbag2 player and the episode runner.',
    license='Apache-2.0',
    python_requires='>=3.10',
    entry_points={},
)
