"""The event store: event records in one DynamoDB table, images in one S3 bucket.

- keys.py: the table's schema and every key format (items and objects), in one place
- items.py: a StoredEvent as a DynamoDB item and back
- writes.py: saving an event once with its counter, the LATEST pointer, removing a record
- reads.py: one event, the latest, minute counters
- browse.py: pages of recent events, and failed events, newest first
- objects.py: images in S3 under content-addressed keys, and presigned links to them
"""
