"""Inside a training job: the Keras build, the input pipeline, the training loop, provenance.
The only part of netspec that imports TensorFlow."""
