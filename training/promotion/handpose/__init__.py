"""MediaPipe's hand-landmark network in PyTorch, for the pose-aware training loss (losses/pose.py).

tflite.py reads a .tflite FlatBuffer; landmark_net.py rebuilds the network of hand_landmark_lite.tflite or
hand_landmark_full.tflite (read at run time from node_modules/@mediapipe/hands) operator by operator, frozen;
run.py runs it on raw tensors (the parity test against TFLite, test/training/hand-landmark-parity.test.ts, calls
it); timing.py times the loss term per training batch.
"""
