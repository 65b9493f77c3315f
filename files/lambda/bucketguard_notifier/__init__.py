"""bucketguard notifier: turns S3 exposure changes recorded by CloudTrail into an actionable email.

Pure modules (no boto3): ``events`` (which input the function got: alarm, EventBridge, records, SQS
batch), ``message`` (email text), ``dedup`` (the dedup record's id and requests). ``store`` makes the
dedup record's DynamoDB calls through a client it is given; clients are created in ``handler`` only.
What a CloudTrail record means (``cloudtrail``), AWS's meaning of "public" (``exposure``) and how a
bucket's state is read (``bucket_state``) are the collection's contract in ``plugins/module_utils/``;
the Lambda package carries those files at the same import path, so the notifier and the audit judge
with one code.
"""

__version__ = "1.0.0"
