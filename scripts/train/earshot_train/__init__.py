"""earshot's training recipes (command ASR, wake word), data synthesis and quantization toolkit."""
