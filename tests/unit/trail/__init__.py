"""Tests of the trail role's pure parts: its input check and the policies it renders."""
