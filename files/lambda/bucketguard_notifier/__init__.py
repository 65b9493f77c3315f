"""bucketguard notifier: turns S3 exposure changes recorded by CloudTrail into an actionable email.

Pure modules (no boto3): ``events`` (input parsing, classification), ``exposure`` (AWS's meaning of
"public"), ``message`` (email text). I/O lives in ``handler`` only.
"""

__version__ = "1.0.0"
