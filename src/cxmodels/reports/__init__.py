"""placeholder"""
from .config import ReportSpec, load_config, ConfigError  # noqa
