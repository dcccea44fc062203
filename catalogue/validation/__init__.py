"""Validation: extract each offer from a graph and check it with SHACL (pyshacl or rudof), with a cache of reports.

Entry point: ``validator.Validator``. It never touches the network. This face imports nothing, so that the server,
which reads reports and the cache, does not load the SHACL engines.
"""
