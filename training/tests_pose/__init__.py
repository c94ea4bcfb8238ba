"""Tests of the pose-aware loss and its data (promotion/handpose, losses/pose.py, data/holdout.py,
data/hand_composites.py, data/hand_masks.py), kept apart from tests/ so that npm test runs them beside the main
Python suite (test/training/pose-python.test.ts) instead of lengthening it:

    cd training && /usr/bin/python3 -m unittest discover -s tests_pose -t .
"""
