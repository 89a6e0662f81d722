from setuptools import find_packages, setup

package_name = 'rtr_sim_robot'

setup(
    name=package_name,
    version='0.1.0',
    packages=find_packages(exclude=['test']),
    data_files=[
        ('share/ament_index/resource_index/packages', ['resource/rtr_sim_robot']),
        ('share/rtr_sim_robot', ['package.xml']),
    ],
    install_requires=[
        'rtr_core',
        'rtr_sim',
        'rtr_ros',
        'numpy',
    ],
    extras_require={'test': ['pytest']},  # colcon test runs pytest only with it
    zip_safe=True,
    maintainer='rtr maintainers',
    maintainer_email='maintainers@rtr.dev',
    description='ROS 2 lifecycle node: the MuJoCo arm in real time behind ros2_control topics.',
    license='Apache-2.0',
    python_requires='>=3.10',
    entry_points={'console_scripts': [
        'sim_robot = rtr_sim_robot.robot_node:main',
    ]},
)
