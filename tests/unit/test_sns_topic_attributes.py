"""The pure comparison of bucketguard.visibility.sns_topic_attributes."""

import pytest
from ansible_collections.bucketguard.visibility.plugins.modules.sns_topic_attributes import attributes_to_change


@pytest.mark.parametrize(
    ("current", "wanted", "changes"),
    [
        ({}, {"KmsMasterKeyId": ""}, {}),  # never encrypted, asked for none: no change
        ({"KmsMasterKeyId": "alias/k"}, {"KmsMasterKeyId": "alias/k"}, {}),
        ({}, {"KmsMasterKeyId": "alias/k"}, {"KmsMasterKeyId": "alias/k"}),
        ({"KmsMasterKeyId": "alias/k"}, {"KmsMasterKeyId": ""}, {"KmsMasterKeyId": ""}),  # turn encryption off
        ({"KmsMasterKeyId": "alias/a", "Other": "1"}, {"KmsMasterKeyId": "alias/b"}, {"KmsMasterKeyId": "alias/b"}),
    ],
)
def test_attributes_to_change(current, wanted, changes):
    assert attributes_to_change(current, wanted) == changes
