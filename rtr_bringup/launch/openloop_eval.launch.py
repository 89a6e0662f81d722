"""Open-loop evaluation on a recording: the policy node against `ros2 bag play`.

    ros2 launch rtr_bringup openloop_eval.launch.py bag:=/path/to/episode \
        policy_checkpoint:=policy.pt out_dir:=runs/openloop

The bag's observations drive rtr_policy (use_sim_time, /clock from the bag); the evaluator
asks for a new chunk as soon as the previous one arrived, records the chunks and the bag's
commanded actions, and writes metrics.md / metrics.json / open_loop.png to out_dir when the
bag ends. The ROS counterpart of `rtr eval open-loop`.
"""

from launch import LaunchDescription
from launch.actions import (
    DeclareLaunchArgument,
    EmitEvent,
    ExecuteProcess,
    RegisterEventHandler,
)
from launch.event_handlers import OnProcessExit
from launch.events import Shutdown, matches_action
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import LifecycleNode, Node
from launch_ros.event_handlers import OnStateTransition
from launch_ros.events.lifecycle import ChangeState
from launch_ros.parameter_descriptions import ParameterValue
from lifecycle_msgs.msg import Transition

ARGUMENTS = [
    ('bag', '', 'rosbag2 recording with the observations and the commanded actions'),
    ('policy_checkpoint', '', 'Policy checkpoint (.pt) written by rtr train policy'),
    ('vae_checkpoint', '', 'VAE checkpoint for a latent policy (default: the stored path)'),
    ('out_dir', 'runs/openloop', 'Folder for metrics.md, metrics.json and open_loop.png'),
    ('action_topic', '/joint_trajectory_controller/joint_trajectory',
     'Recorded commanded actions (trajectory_msgs/JointTrajectory)'),
    ('image_topic', '/camera/camera/color/image_raw', 'Recorded camera images'),
    ('joint_states_topic', '/joint_states', 'Recorded joint states'),
    ('wrench_topic', '/force_torque_sensor_broadcaster/wrench', 'Recorded wrench'),
    ('rate', '1.0', 'Playback rate (below 1 when inference is slower than real time)'),
    ('stride', '0', 'Ticks between chunks, as `rtr eval open-loop --stride` (0: a chunk as '
     'soon as the previous one arrived)'),
    ('seed', '-1', 'Sampling seed, as `rtr eval open-loop --seed` (-1: fresh noise)'),
]


def generate_launch_description():
    declared = [DeclareLaunchArgument(name, default_value=default, description=doc)
                for name, default, doc in ARGUMENTS]
    cfg = {name: LaunchConfiguration(name) for name, _, _ in ARGUMENTS}

    play = ExecuteProcess(
        cmd=['ros2', 'bag', 'play', cfg['bag'], '--clock', '--rate', cfg['rate'], '--topics',
             cfg['image_topic'], cfg['joint_states_topic'], cfg['wrench_topic'],
             cfg['action_topic']],
        output='screen',
    )
    policy = LifecycleNode(
        package='rtr_policy_node', executable='policy_node', name='rtr_policy', namespace='',
        parameters=[{
            'use_sim_time': True,
            'policy_checkpoint': cfg['policy_checkpoint'],
            'vae_checkpoint': cfg['vae_checkpoint'],
            'image_topic': cfg['image_topic'],
            'joint_states_topic': cfg['joint_states_topic'],
            'wrench_topic': cfg['wrench_topic'],
            'trigger': 'executor',
            'seed': ParameterValue(cfg['seed'], value_type=int),
        }],
        output='both',
    )
    evaluator = Node(
        package='rtr_policy_node', executable='openloop_evaluator',
        name='rtr_openloop_evaluator',
        parameters=[{'use_sim_time': True, 'out_dir': cfg['out_dir'],
                     'action_topic': cfg['action_topic'], 'bag': cfg['bag'],
                     'stride': ParameterValue(cfg['stride'], value_type=int)}],
        output='both',
    )
    configure = EmitEvent(event=ChangeState(lifecycle_node_matcher=matches_action(policy),
                                            transition_id=Transition.TRANSITION_CONFIGURE))
    activate = RegisterEventHandler(OnStateTransition(
        target_lifecycle_node=policy, goal_state='inactive',
        entities=[EmitEvent(event=ChangeState(
            lifecycle_node_matcher=matches_action(policy),
            transition_id=Transition.TRANSITION_ACTIVATE))]))
    play_once_the_policy_is_active = RegisterEventHandler(OnStateTransition(
        target_lifecycle_node=policy, goal_state='active', entities=[play]))
    stop_when_the_bag_ends = RegisterEventHandler(OnProcessExit(
        target_action=play, on_exit=[EmitEvent(event=Shutdown(reason='bag replay finished'))]))

    return LaunchDescription(declared + [evaluator, policy, configure, activate,
                                         play_once_the_policy_is_active,
                                         stop_when_the_bag_ends])
