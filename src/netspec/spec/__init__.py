"""Planning time, no TensorFlow: declarations, the generated schema, loading, validation,
lowering, shape inference, and the compiled experiments the workflow plans from."""
