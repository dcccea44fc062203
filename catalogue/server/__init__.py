"""Server: the FastAPI app (``catalogue.server.app.create_app``): SPARQL endpoint, linked data, search, feed, validation.

This face imports nothing: query and validation workers start from modules of this package and load only what they run.
"""
