from setuptools import find_packages, setup

package_name = 'rtr_policy_node'

setup(
    name=package_name,
    version='0.1.0',
    packages=find_packages(exclude=['test']),
    data_files=[
        ('share/ament_index/resource_index/packages', ['resource/rtr_policy_node']),
        ('share/rtr_policy_node', ['package.xml']),
    ],
    install_requires=[
        'rtr_core',
        'rtr_ros',
    ],
    extras_require={'test': ['pytest']},  # colcon test runs pytest only with it
    zip_safe=True,
    maintainer='rtr maintainers',
    maintainer_email='maintainers@rtr.dev',
    description='ROS 2 lifecycle node: observations in, rtr_msgs/ActionChunk out.',
    license='Apache-2.0',
    python_requires='>=3.10',
    entry_points={'console_scripts': [
        'policy_node = rtr_policy_node.policy_node:main',
        'openloop_evaluator = rtr_policy_node.openloop_evaluator:main',
    ]},
)
