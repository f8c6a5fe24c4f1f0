"""U-2-Net-p saliency in OpenCV's DNN module: the first guess of where the subject is.

Why OpenCV: the project already has it, and it reads the ONNX file as shipped, so no ONNX runtime is
needed. The network sees the picture at 320 x 320 and answers a subject probability there; that map
is coarse (thin parts such as a tripod's legs fade out), so cutout_neural.py uses it only to seed a
refinement at full resolution. Its outputs are several side maps; the fused one (the graph's first
output) is asked for by name, since forward() without a name returns another in OpenCV 4.x and 5.x.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

SIDE = 320  # the network's input size
_MEAN = np.array([0.485, 0.456, 0.406], np.float32)  # ImageNet statistics the model was trained with
_STD = np.array([0.229, 0.224, 0.225], np.float32)
_nets: dict[Path, tuple[cv2.dnn.Net, str]] = {}


def _net(path: Path) -> tuple[cv2.dnn.Net, str]:
    """The loaded network and the name of its fused output, once per process."""
    if path not in _nets:
        net = cv2.dnn.readNetFromONNX(str(path))
        # the graph's outputs in order: d0 (fused) first, then the six side outputs
        _nets[path] = (net, sorted(net.getUnconnectedOutLayersNames(), key=_numeric)[0])
    return _nets[path]


def _numeric(name: str) -> tuple[int, str]:
    return (int(name), name) if name.isdigit() else (1 << 30, name)


def saliency(rgb: np.ndarray, path: Path) -> np.ndarray:
    """HxW float32 subject probability 0..1 for an HxWx3 uint8 picture (resized back to HxW)."""
    h, w = rgb.shape[:2]
    x = cv2.resize(rgb, (SIDE, SIDE), interpolation=cv2.INTER_AREA).astype(np.float32)
    x /= max(1.0, float(x.max()))
    x = (x - _MEAN) / _STD
    net, output = _net(path)
    net.setInput(np.ascontiguousarray(x.transpose(2, 0, 1)[None]))
    prob = net.forward(output)[0, 0]
    lo, hi = float(prob.min()), float(prob.max())
    prob = (prob - lo) / (hi - lo) if hi - lo > 1e-6 else np.zeros_like(prob)
    return cv2.resize(prob.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
