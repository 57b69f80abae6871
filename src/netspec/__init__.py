"""netspec: declarative, reproducible Keras image-classification studies."""

__version__ = "0.1.0"


def quiet_tensorflow() -> None:
    """Silence TensorFlow's C++ start-up chatter (CUDA probes, CPU flags) unless the user set it."""
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
