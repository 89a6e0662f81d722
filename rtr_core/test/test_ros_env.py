"""The DDS environment every rclpy process gets: localhost discovery, a domain of its own."""

import os

import pytest

from rtr_core.ros_env import DOMAIN_IDS, domain_id_for, isolate_ros, ros_env


def test_this_test_process_is_isolated_by_the_root_conftest():
    assert os.environ['ROS_AUTOMATIC_DISCOVERY_RANGE'] == 'LOCALHOST'
    assert int(os.environ['ROS_DOMAIN_ID']) in DOMAIN_IDS
    assert 'ROS_STATIC_PEERS' not in os.environ


def test_ros_env_keeps_discovery_on_localhost_and_drops_what_would_widen_it():
    base = {'PATH': '/bin', 'ROS_DOMAIN_ID': '0', 'ROS_AUTOMATIC_DISCOVERY_RANGE': 'SUBNET',
            'ROS_STATIC_PEERS': '192.168.1.7', 'ROS_LOCALHOST_ONLY': '0', 'ROS_DISTRO': 'jazzy'}
    env = ros_env(base, domain_id=42)
    assert env == {'PATH': '/bin', 'ROS_DOMAIN_ID': '42', 'ROS_DISTRO': 'jazzy',
                   'ROS_AUTOMATIC_DISCOVERY_RANGE': 'LOCALHOST'}
    assert base['ROS_DOMAIN_ID'] == '0', 'the base mapping is not changed'
    assert ros_env({'ROS_DISTRO': 'humble'}, 5)['ROS_LOCALHOST_ONLY'] == '1'


def test_domain_ids_are_valid_for_fast_dds_and_differ_between_processes():
    ids = {domain_id_for(pid) for pid in range(1000, 1101)}
    assert ids == set(DOMAIN_IDS) and 0 not in ids and max(ids) <= 101
    assert int(ros_env({})['ROS_DOMAIN_ID']) == domain_id_for(os.getpid())
    for bad in (0, 102, -1):
        with pytest.raises(ValueError, match='ROS_DOMAIN_ID: expected 1..101'):
            ros_env({}, domain_id=bad)


def test_isolate_ros_sets_this_process(monkeypatch):
    monkeypatch.setenv('ROS_STATIC_PEERS', '10.0.0.1')
    monkeypatch.setenv('ROS_DOMAIN_ID', '0')
    assert isolate_ros(7) == 7
    assert os.environ['ROS_DOMAIN_ID'] == '7'
    assert 'ROS_STATIC_PEERS' not in os.environ
