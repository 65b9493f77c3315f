"""Tests of the alarm role: its filter patterns, its EventBridge pattern, the filter-pattern evaluator."""
