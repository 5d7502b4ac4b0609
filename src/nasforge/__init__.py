"""nasforge: Lightning + Hydra templates for NAS and model-hardware co-design."""
