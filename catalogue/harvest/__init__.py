"""Harvest: fetch a source's publications, map them to ELM through its harvester, validate, and admit the offers.

Entry points: ``pipeline.harvest_source``; ``contract`` (what a harvester implements); ``registry`` (harvester kinds);
``self_check`` (a provider's check). This face imports nothing: harvesters and the server's fetches use small parts of it.
"""
