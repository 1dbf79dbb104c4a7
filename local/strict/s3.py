"""S3's conditional writes, racing as in S3: while one conditional PutObject of a key is under way,
another conditional write of that key is answered 409 ConditionalRequestConflict (S3's advice: retry).

moto serves S3 one call at a time, so two writers never overlap in it: the second simply finds the
object and gets 412. This layer holds a conditional write's key from before moto takes the call until
its answer, plus `hold_seconds` (S3's upload and commit), so the overlap S3 answers with 409 exists.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from local.strict.answers import Answer, error
from local.strict.calls import AwsCall, s3_location

CONFLICT = ("A conflicting operation occurred. If using PutObject you can retry the request. If using "
            "multipart upload you should initiate another CreateMultipartUpload request and re-upload "
            "each part.")


class ConditionalWrites:
    def __init__(self, hold_seconds: float) -> None:
        self.hold_seconds = hold_seconds
        self._held: set[tuple[str, str]] = set()  # (bucket, key) of conditional writes under way
        self._guard = threading.Lock()
        self.conflicts = 0

    def reset(self, hold_seconds: float) -> None:
        with self._guard:
            self.conflicts = 0
            self.hold_seconds = hold_seconds

    @contextmanager
    def writing(self, call: AwsCall) -> Iterator[Answer | None]:
        """Around moto's handling of `call`: a conditional write's key held, or the 409 to send instead."""
        location = s3_location(call)
        if not _conditional_write(call):
            yield None
            return
        with self._guard:
            busy = location in self._held
            self.conflicts += busy
            if not busy:
                self._held.add(location)
        if busy:
            yield error(call, 409, "ConditionalRequestConflict", CONFLICT)
            return
        try:
            time.sleep(self.hold_seconds)
            yield None
        finally:
            with self._guard:
                self._held.discard(location)


def _conditional_write(call: AwsCall) -> bool:
    _, key = s3_location(call)
    conditional = "if-none-match" in call.headers or "if-match" in call.headers
    return call.method == "PUT" and bool(key) and conditional and "x-amz-copy-source" not in call.headers
