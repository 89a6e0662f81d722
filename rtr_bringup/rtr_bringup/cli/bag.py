"""``rtr bag info BAG``: topics, types, message counts and duration of a rosbag2."""

from __future__ import annotations


def add_parser(sub) -> None:
    parser = sub.add_parser('bag', help='inspect rosbag2 recordings')
    bag_sub = parser.add_subparsers(dest='bag_command', metavar='BAG_COMMAND', required=True)
    info = bag_sub.add_parser('info', help='topics, types and message counts of a bag')
    info.add_argument('bag', help='rosbag2 folder (mcap or sqlite3)')
    info.set_defaults(func=run_info)


def run_info(args) -> int:
    from rtr_core.bag import BagReader

    with BagReader(args.bag) as bag:
        counts = bag.message_counts
        print(f'bag: {bag.path}')
        for topic, msgtype in sorted(bag.topics.items()):
            print(f'  {topic:40s} {msgtype:40s} {counts.get(topic, 0):8d}')
    return 0
