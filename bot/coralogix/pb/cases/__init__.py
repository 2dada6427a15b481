"""Generated protobuf code; regenerate with protos/generate.py, never edit."""
