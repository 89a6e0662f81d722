"""rtr on a real arm: ros2_control, RealSense camera, F/T broadcaster and the two rtr nodes.

    ros2 launch rtr_bringup real_robot.launch.py \
        description_file:=/path/to/my_robot.urdf.xacro controllers_file:=/path/to/ctrl.yaml \
        policy_checkpoint:=/path/policy.pt vae_checkpoint:=/path/vae.pt

The two rtr nodes start unconfigured: nothing moves until an operator brings them up,
the policy first, then the executor (which commands the arm once active):

    ros2 lifecycle set /rtr_policy configure
    ros2 lifecycle set /rtr_chunk_executor configure
    ros2 lifecycle set /rtr_policy activate
    ros2 lifecycle set /rtr_chunk_executor activate

(`ros2 lifecycle set /rtr_chunk_executor deactivate` brakes to a stop and holds.) With
``autostart:=true`` the launch file configures and activates both itself. The F/T sensor
broadcaster is spawned only with ``use_ft_broadcaster:=true`` (arms with a sensor).

Topics (defaults): /camera/camera/color/image_raw, /joint_states,
/<ft_broadcaster>/wrench -> rtr_policy -> /rtr/action_chunk -> rtr_chunk_executor ->
/joint_trajectory_controller/joint_trajectory; /rtr/executor_state back to rtr_policy.
"""

from launch import LaunchDescription
from launch.actions import (
    DeclareLaunchArgument,
    EmitEvent,
    IncludeLaunchDescription,
    RegisterEventHandler,
)
from launch.conditions import IfCondition
from launch.events import matches_action
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import (
    Command,
    FindExecutable,
    LaunchConfiguration,
    PathJoinSubstitution,
)
from launch_ros.actions import LifecycleNode, Node
from launch_ros.descriptions import ParameterValue
from launch_ros.event_handlers import OnStateTransition
from launch_ros.events.lifecycle import ChangeState
from launch_ros.substitutions import FindPackageShare
from lifecycle_msgs.msg import Transition

ARGUMENTS = [
    ('description_file',
     PathJoinSubstitution([FindPackageShare('rtr_bringup'), 'urdf', 'rtr_arm.urdf.xacro']),
     'Robot description (URDF or xacro) with its <ros2_control> tag'),
    ('controllers_file',
     PathJoinSubstitution([FindPackageShare('rtr_bringup'), 'config', 'controllers.yaml']),
     'ros2_control controllers YAML'),
    ('rtr_params_file',
     PathJoinSubstitution([FindPackageShare('rtr_bringup'), 'config', 'rtr_nodes.yaml']),
     'Parameters of rtr_policy and rtr_chunk_executor'),
    ('use_mock_hardware', 'false',
     'Use mock_components/GenericSystem instead of the real hardware interface'),
    ('joint_names',
     '[joint_1, joint_2, joint_3, joint_4, joint_5, joint_6, joint_7]',
     'Controlled joints as a YAML list (must match the controllers file)'),
    ('policy_checkpoint', '', 'Policy checkpoint (.pt) written by rtr train policy'),
    ('vae_checkpoint', '', 'Action VAE checkpoint (.pt) written by rtr train vae'),
    ('use_camera', 'true', 'Start realsense2_camera'),
    ('camera_serial', "''", 'RealSense serial number (empty: the first camera found)'),
    ('camera_profile', '640x480x30', 'RealSense colour profile WIDTHxHEIGHTxFPS'),
    ('use_ft_broadcaster', 'false',
     'Spawn the force_torque_sensor_broadcaster (only on arms with an F/T sensor)'),
    ('ft_broadcaster', 'force_torque_sensor_broadcaster',
     'Name of the force_torque_sensor_broadcaster (its topic is /<name>/wrench)'),
    ('trajectory_controller', 'joint_trajectory_controller',
     'Name of the joint_trajectory_controller to stream to'),
    ('use_sim_time', 'false', 'Use /clock (bag replay, simulators)'),
    ('autostart', 'false',
     'Configure and activate rtr_policy and rtr_chunk_executor at launch (the arm moves '
     'without an operator: false on a real arm, use ros2 lifecycle set)'),
]


def generate_launch_description():
    declared = [DeclareLaunchArgument(name, default_value=default, description=doc)
                for name, default, doc in ARGUMENTS]
    cfg = {name: LaunchConfiguration(name) for name, _, _ in ARGUMENTS}

    robot_description = {'robot_description': ParameterValue(
        Command([PathJoinSubstitution([FindExecutable(name='xacro')]), ' ',
                 cfg['description_file'], ' use_mock_hardware:=', cfg['use_mock_hardware']]),
        value_type=str)}
    use_sim_time = {'use_sim_time': ParameterValue(cfg['use_sim_time'], value_type=bool)}

    control_node = Node(
        package='controller_manager', executable='ros2_control_node',
        # Humble reads robot_description as a parameter, Jazzy from the topic.
        parameters=[robot_description, cfg['controllers_file'], use_sim_time],
        remappings=[('~/robot_description', '/robot_description')],
        output='both',
    )
    state_publisher = Node(
        package='robot_state_publisher', executable='robot_state_publisher',
        parameters=[robot_description, use_sim_time], output='both',
    )
    def spawner(name, condition=None):
        return Node(package='controller_manager', executable='spawner',
                    arguments=[name, '--controller-manager', '/controller_manager',
                               '--param-file', cfg['controllers_file']],
                    output='both', condition=condition)

    spawners = [spawner('joint_state_broadcaster'), spawner(cfg['trajectory_controller']),
                spawner(cfg['ft_broadcaster'], IfCondition(cfg['use_ft_broadcaster']))]
    camera = IncludeLaunchDescription(
        PythonLaunchDescriptionSource(
            PathJoinSubstitution([FindPackageShare('realsense2_camera'), 'launch',
                                  'rs_launch.py'])),
        launch_arguments={
            'camera_namespace': 'camera',
            'camera_name': 'camera',
            'serial_no': cfg['camera_serial'],
            'rgb_camera.color_profile': cfg['camera_profile'],
            'enable_depth': 'false',
            'align_depth.enable': 'false',
        }.items(),
        condition=IfCondition(cfg['use_camera']),
    )

    joint_names = ParameterValue(cfg['joint_names'])  # parsed as YAML: a list of strings
    policy = LifecycleNode(
        package='rtr_policy_node', executable='policy_node', name='rtr_policy', namespace='',
        parameters=[cfg['rtr_params_file'], use_sim_time, {
            'policy_checkpoint': cfg['policy_checkpoint'],
            'vae_checkpoint': cfg['vae_checkpoint'],
            'wrench_topic': ParameterValue(['/', cfg['ft_broadcaster'], '/wrench'],
                                           value_type=str),
        }],
        output='both',
    )
    executor = LifecycleNode(
        package='rtr_chunk_executor', executable='chunk_executor', name='rtr_chunk_executor',
        namespace='',
        parameters=[cfg['rtr_params_file'], use_sim_time, {
            'executor.joint_names': joint_names,
            'vae_checkpoint': cfg['vae_checkpoint'],
            'topics.joint_trajectory': ParameterValue(
                ['/', cfg['trajectory_controller'], '/joint_trajectory'], value_type=str),
        }],
        output='both',
    )
    # only with autostart:=true: configure, then activate once inactive
    autostart = IfCondition(cfg['autostart'])
    lifecycle = []
    for node in (policy, executor):
        lifecycle.append(RegisterEventHandler(OnStateTransition(
            target_lifecycle_node=node, goal_state='inactive',
            entities=[EmitEvent(event=ChangeState(
                lifecycle_node_matcher=matches_action(node),
                transition_id=Transition.TRANSITION_ACTIVATE))]), condition=autostart))
        lifecycle.append(EmitEvent(event=ChangeState(
            lifecycle_node_matcher=matches_action(node),
            transition_id=Transition.TRANSITION_CONFIGURE), condition=autostart))

    return LaunchDescription(declared + [control_node, state_publisher, *spawners, camera,
                                         policy, executor, *lifecycle])
