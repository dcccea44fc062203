"""A linked-data catalogue of learning opportunities that lead to micro-credentials.

Data flows one way, one subpackage per stage: harvest -> validation -> store, and store -> publish -> server and site;
cli drives them all. The modules at this level (config, errors, iris, namespaces, resources, urls, vocab...) are read by every stage.
"""

__version__ = "0.1.0"
