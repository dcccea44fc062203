"""Answers of the SPARQL endpoint, kept for as long as the generation they came from is served.

A published generation never changes (it is a read-only snapshot), so the same query on it always
gets the same answer, and platforms that harvest the catalogue ask the same queries again and
again: whole-catalogue aggregates cost hundreds of milliseconds at 10,000 offers and seconds at
100,000. The first answer is computed; later ones come from memory, and a client that keeps the
ETag gets 304 Not Modified until a harvest publishes a new generation.

Not kept: answers to queries whose result depends on the moment (NOW, RAND, UUID, STRUUID,
BNODE: found by the lexer in ``sparql_check``, the caller says), failures and time-outs, and answers larger than ``max_answer_bytes``. The cache holds at
most ``max_bytes`` of answers and forgets the least recently used first; a new generation empties it.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict

from .query_pool import QueryAnswer, QueryJob


class AnswerCache:
    def __init__(self, max_bytes: int = 64 * 2**20, max_answer_bytes: int = 4 * 2**20):
        self.max_bytes = max_bytes
        self.max_answer_bytes = max_answer_bytes
        self._answers: OrderedDict[str, QueryAnswer] = OrderedDict()
        self._generation: str | None = None
        self._size = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(generation: str, job: QueryJob, volatile: bool) -> str | None:
        """The answer's identity (also its ETag), or None when the answer may differ from one run to the next."""
        if volatile:
            return None
        identity = [generation, job.query, job.accept, job.formats, job.default_graphs, job.named_graphs, job.max_rows, job.base_iri]
        return generation + "-" + hashlib.sha256(json.dumps(identity).encode("utf-8")).hexdigest()[:24]

    def get(self, key: str) -> QueryAnswer | None:
        with self._lock:
            answer = self._answers.get(key)
            if answer is None:
                self.misses += 1
                return None
            self._answers.move_to_end(key)
            self.hits += 1
            return answer

    def put(self, key: str, generation: str, answer: QueryAnswer) -> None:
        if answer.status != "ok" or len(answer.body) > self.max_answer_bytes:
            return
        with self._lock:
            if generation != self._generation:
                self._answers.clear()
                self._size = 0
                self._generation = generation
            if key in self._answers:
                return
            self._answers[key] = answer
            self._size += len(answer.body)
            while self._size > self.max_bytes and self._answers:
                _, dropped = self._answers.popitem(last=False)
                self._size -= len(dropped.body)
