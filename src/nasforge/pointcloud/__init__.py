"""Point-cloud semantic segmentation (S3DIS, SemanticKITTI): data, ops, models and PIDS."""
