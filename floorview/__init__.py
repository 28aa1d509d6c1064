"""floorview: a terminal dashboard for running a live contact-centre floor."""

__version__ = "0.1.0"
