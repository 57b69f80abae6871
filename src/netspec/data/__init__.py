"""The data stage: dataset declarations (TF-free, read at planning time), their readers, and the
preparation of one shared file per dataset."""
