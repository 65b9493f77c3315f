"""Make the checkout importable as ansible_collections.bucketguard.visibility in unit tests.

`make setup` links the checkout as .collections/ansible_collections/bucketguard/visibility; the
amazon.aws and community.aws collections come from the venv's site-packages (the `ansible` package).
"""

import sys
from pathlib import Path

COLLECTIONS = Path(__file__).resolve().parents[2] / ".collections"
if COLLECTIONS.is_dir() and str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))

# Ansible's collection loader must be installed before a test module imports the collection: a test
# plugin (bucketguard.visibility.s3_bucket_name) is not found by a Templar otherwise.
import ansible_collections  # noqa: E402
from ansible.plugins.loader import init_plugin_loader  # noqa: E402

init_plugin_loader([str(COLLECTIONS), *(str(Path(p).parent) for p in ansible_collections.__path__)])
