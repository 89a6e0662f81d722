"""rtr against ros2_control's mock hardware and the rtr arm: the whole ROS graph, no robot.

    ros2 launch rtr_bringup sim.launch.py policy_checkpoint:=... vae_checkpoint:=... \
        autostart:=true

Same graph as real_robot.launch.py with mock_components/GenericSystem (F/T values through
mock sensor commands) and the rtr arm's description. No camera is started; give the policy
an image source (e.g. `ros2 bag play` of a recording, or use_camera:=true with a RealSense).
"""

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, IncludeLaunchDescription
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.substitutions import FindPackageShare

ARGUMENTS = [
    ('policy_checkpoint', '', 'Policy checkpoint (.pt) written by rtr train policy'),
    ('vae_checkpoint', '', 'Action VAE checkpoint (.pt) written by rtr train vae'),
    ('use_camera', 'false', 'Start realsense2_camera too'),
    ('use_sim_time', 'false', 'Use /clock (bag replay)'),
    ('use_ft_broadcaster', 'true', 'Spawn the F/T broadcaster (the rtr arm has the sensor)'),
    ('autostart', 'false', 'Configure and activate the rtr nodes at launch (see '
     'real_robot.launch.py for the ros2 lifecycle set commands)'),
]


def generate_launch_description():
    declared = [DeclareLaunchArgument(name, default_value=default, description=doc)
                for name, default, doc in ARGUMENTS]
    bringup = IncludeLaunchDescription(
        PythonLaunchDescriptionSource(
            PathJoinSubstitution([FindPackageShare('rtr_bringup'), 'launch',
                                  'real_robot.launch.py'])),
        launch_arguments={
            'use_mock_hardware': 'true',
            **{name: LaunchConfiguration(name) for name, _, _ in ARGUMENTS},
        }.items(),
    )
    return LaunchDescription(declared + [bringup])
