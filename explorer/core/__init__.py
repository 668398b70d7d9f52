"""Headless core: numpy/cv2/onnx/onnxruntime only. Nothing under this package may import Qt."""
