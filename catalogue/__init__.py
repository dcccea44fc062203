"""A linked-data catalogue of learning opportunities that lead to micro-credentials.

Data flows one way: harvesters -> validation -> store -> API and site.
"""

__version__ = "0.1.0"
