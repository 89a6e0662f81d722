"""rosbag2 files (mcap by default, sqlite3 too), written and read through ``rosbags``."""

from .reader import BagMessage, BagReader
from .writer import BagError, BagWriter

__all__ = ['BagError', 'BagMessage', 'BagReader', 'BagWriter']
