from setuptools import find_packages, setup

package_name = 'rtr_chunk_executor'

setup(
    name=package_name,
    version='0.1.0',
    packages=find_packages(exclude=['test']),
    data_files=[
        ('share/ament_index/resource_index/packages', ['resource/rtr_chunk_executor']),
        ('share/rtr_chunk_executor', ['package.xml']),
    ],
    install_requires=[
        'rtr_core',
        'rtr_ros',
    ],
    extras_require={'test': ['pytest']},  # colcon test runs pytest only with it
    zip_safe=True,
    maintainer='rtr maintainers',
    maintainer_email='maintainers@rtr.dev',
    description='ROS 2 lifecycle node: chunks in, Reuse-then-Refine, 60 Hz to ros2_control.',
    license='Apache-2.0',
    python_requires='>=3.10',
    entry_points={'console_scripts': [
        'chunk_executor = rtr_chunk_executor.executor_node:main',
    ]},
)
