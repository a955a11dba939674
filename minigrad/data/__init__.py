"""Data: a mini-batch DataLoader and dataset objects, small synthetic datasets, the 8x8 digits, and an MNIST (IDX) reader."""
from .datasets import load_digits, logic_gate, moons, planar_flower, spiral
from .loader import DataLoader, Dataset, Subset, TensorDataset, random_split
from .mnist import MNISTFormatError, load_mnist

__all__ = ["DataLoader", "Dataset", "TensorDataset", "Subset", "random_split", "logic_gate", "spiral",
           "planar_flower", "moons", "load_digits", "load_mnist", "MNISTFormatError"]
